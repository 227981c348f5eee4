//go:build !linux

package cluster

import "syscall"

// sysProcAttr puts mariadbd in a process group of its own and runs it as
// r. Without a parent death signal outside Linux, a server outlives a
// test process killed before its cleanup until the next start sweeps it.
func sysProcAttr(r runAs) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if r.uid >= 0 {
		a.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.gid)}
	}
	return a
}
