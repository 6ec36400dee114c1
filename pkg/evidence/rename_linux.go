//go:build linux && (amd64 || arm64)

package evidence

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// renameNoReplace renames oldpath to newpath and fails with an error matching
// os.ErrExist if newpath exists. It uses renameat2(RENAME_NOREPLACE), which
// is atomic, and falls back to renameFallback where the kernel or file system
// lacks it.
func renameNoReplace(oldpath, newpath string) error {
	const atFDCWD = -100
	const renameNoReplaceFlag = 1
	oldp, err := syscall.BytePtrFromString(oldpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	newp, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	fd := atFDCWD
	_, _, errno := syscall.Syscall6(sysRenameat2,
		uintptr(fd), uintptr(unsafe.Pointer(oldp)),
		uintptr(fd), uintptr(unsafe.Pointer(newp)),
		renameNoReplaceFlag, 0)
	switch {
	case errno == 0:
		return nil
	case errors.Is(errno, syscall.ENOSYS), errors.Is(errno, syscall.EINVAL):
		return renameFallback(oldpath, newpath)
	default:
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: errno}
	}
}
