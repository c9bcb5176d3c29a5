package procs

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// sysProcAttr puts a node in its own process group and has the kernel
// kill it when the coordinator dies (the parent-death signal is sent when
// the thread that started the node exits; Go does not end the threads of
// a running program, so in practice when the coordinator's process dies).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitStopped returns when process pid is stopped (its state in
// /proc/PID/stat is T), or after 200 ms: SIGSTOP takes effect when the
// kernel next schedules the process, not when kill returns.
func waitStopped(pid int) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	for range 2000 {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		// The state follows the command name, which is in parentheses.
		if i := bytes.LastIndexByte(b, ')'); i < 0 || i+2 >= len(b) || b[i+2] == 'T' || b[i+2] == 't' {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}
