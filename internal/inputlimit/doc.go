// Package inputlimit bounds the files Ward reads before a parser sees
// them. Every input file is untrusted (docs/threat-model.md): a file far
// larger than any real one, or nested deeper than any real one, is refused
// with a clear error at once, instead of costing gigabytes of memory or a
// stack overflow in a recursive-descent parser (HCL's expression parser
// recurses once per parenthesis).
package inputlimit
