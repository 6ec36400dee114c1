//go:build !linux || !(amd64 || arm64)

package evidence

func renameNoReplace(oldpath, newpath string) error {
	return renameFallback(oldpath, newpath)
}
