//go:build !linux

package procs

import "syscall"

// sysProcAttr puts a node in its own process group. Without Linux's
// parent-death signal, a node outlives a coordinator that is killed
// outright (a Ctrl-C still stops them: the coordinator closes its group).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitStopped returns at once: without /proc the coordinator cannot see
// when SIGSTOP took effect.
func waitStopped(pid int) {}
