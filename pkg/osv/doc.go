// Package osv reads vulnerability advisories in the OSV format
// (https://ossf.github.io/osv-schema/), the subset needed to decide from a
// device's package database whether it is patched: ids, affected packages
// with ECOSYSTEM ranges and explicit versions. It compares versions the
// way the device's package manager does (dpkg and opkg; rpm). It does no
// network access: the advisory file is the user's.
package osv
