// Package safetext makes text a device (or an input file) supplied safe to
// print on a terminal or in a log: control characters (C0, DEL, C1 — ESC
// sequences, OSC 52 clipboard writes, window titles, BEL, carriage returns
// that overwrite a line), Unicode bidirectional overrides and isolates
// (Trojan Source, CVE-2021-42574), line and paragraph separators and
// invalid UTF-8 are written as visible Go-style escapes (\x1b, \u202e).
// Printable text, including non-ASCII letters, is kept as it is.
//
// Everything Ward prints that a device supplied goes through Escape (or
// Clip, which also bounds its length), in one place per output.
package safetext
