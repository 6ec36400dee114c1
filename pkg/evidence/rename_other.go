//go:build !linux

package evidence

func renameNoReplace(oldpath, newpath string) error {
	return renameFallback(oldpath, newpath)
}
