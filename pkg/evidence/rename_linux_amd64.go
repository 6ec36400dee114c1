package evidence

// sysRenameat2 is the renameat2(2) system call number; package syscall does
// not define it on amd64.
const sysRenameat2 = 316
