//go:build !linux

package evidence

// syncTree makes everything written under dir durable: an fsync of every
// file and directory.
func syncTree(dir string, perFile bool) error { return syncEach(dir) }
