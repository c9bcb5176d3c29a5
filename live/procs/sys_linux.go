package procs

import "syscall"

// sysProcAttr puts a node in its own process group and has the kernel
// kill it when the coordinator dies (the parent-death signal is sent when
// the thread that started the node exits; Go does not end the threads of
// a running program, so in practice when the coordinator's process dies).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
