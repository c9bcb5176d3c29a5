package harness

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Lock takes the output directory dir (created if needed) for this process
// alone: one writer at a time (a sweep, a merge, a reproduction), so that
// two never delete or overwrite each other's files in flight. A second
// writer, in this process or another, fails at once with one line naming
// the holder. The lock is an advisory flock on the directory itself (no
// file is added to the tree), released by unlock or when the process
// ends, so a killed writer never leaves the directory locked.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w; allowed: a directory ballast can create and write", dir, unwrapPath(err))
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, unwrapPath(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is being written by %s; allowed: one ballast writing an output directory at a time (wait for it, or use another --out)", dir, holder(f))
		}
		return nil, fmt.Errorf("%s: locking: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// holder names the process holding the lock on f's directory, from
// /proc/locks where the system has it.
func holder(f *os.File) string {
	const unknown = "another ballast"
	st, err := f.Stat()
	if err != nil {
		return unknown
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return unknown
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return unknown
	}
	defer locks.Close()
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 12345 00:2f:678 0 EOF"
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(fs[5], ":")
		if ino, err := strconv.ParseUint(dev[len(dev)-1], 10, 64); err != nil || ino != sys.Ino {
			continue
		}
		pid := fs[4]
		if pid == strconv.Itoa(os.Getpid()) {
			return "this process (another sweep in it)"
		}
		cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		args := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		if args == "" {
			return "process " + pid
		}
		return fmt.Sprintf("process %s (%s)", pid, args)
	}
	return unknown
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
