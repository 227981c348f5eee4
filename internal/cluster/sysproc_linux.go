package cluster

import "syscall"

// sysProcAttr puts mariadbd in a process group of its own (a Ctrl-C aimed
// at go test must not reach it before the cleanup runs; Kill signals the
// whole group), runs it as r, and has the kernel kill it when the test
// process dies, cleanups run or not. The parent death signal is set after
// the credentials change, so it holds for a server started as mysql.
func sysProcAttr(r runAs) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if r.uid >= 0 {
		a.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.gid)}
	}
	return a
}
