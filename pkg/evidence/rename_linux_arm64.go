package evidence

// sysRenameat2 is the renameat2(2) system call number.
const sysRenameat2 = 276
