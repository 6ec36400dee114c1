// Package overlayfs adds one file tree to another: the embedded control
// catalogue and features plus a site's or a device maker's own, each file
// keeping a path that says where it came from.
package overlayfs
