// Package procs starts and controls the node processes of a live run
// (issue 15): start and restart from a fixed command line, crash
// (SIGKILL), pause and resume (SIGSTOP, SIGCONT), and stop them all.
//
// No process outlives its run. Each node runs in its own process group
// (a Ctrl-C at the terminal reaches the coordinator only, which stops the
// nodes itself) and is killed by the kernel if the coordinator dies
// without stopping it (Linux's parent-death signal, SIGKILL). Close kills
// and reaps every node; the tests check all three ways out.
//
// Ports: a node's listening sockets are opened by the coordinator (on
// port 0: the kernel picks a free one) and handed to the node as inherited
// files, so that two runs on one machine never race for a port and a
// restarted node listens where its peers expect it.
package procs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Spec is how to start one node, every time.
type Spec struct {
	Path   string
	Args   []string
	Env    []string   // appended to the coordinator's environment
	Files  []*os.File // inherited as file descriptors 3, 4, ... (listening sockets)
	Stdout io.Writer  // nil: discarded
	Stderr io.Writer
}

// Group is the node processes of one run.
type Group struct {
	mu    sync.Mutex
	specs []Spec
	procs []*proc
}

type proc struct {
	cmd    *exec.Cmd
	paused bool
	done   chan struct{} // closed when the process has been reaped
	err    error         // its wait status, after done
}

// NewGroup prepares one node per spec; none is started.
func NewGroup(specs []Spec) *Group {
	return &Group{specs: specs, procs: make([]*proc, len(specs))}
}

// Len is the number of nodes.
func (g *Group) Len() int { return len(g.specs) }

// Start starts node i, which must not be running.
func (g *Group) Start(i int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.procs[i]; p != nil && !exited(p) {
		return fmt.Errorf("node %d: already running (pid %d)", i, p.cmd.Process.Pid)
	}
	s := g.specs[i]
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.ExtraFiles = s.Files
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("node %d: %w", i, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	g.procs[i] = p
	return nil
}

func exited(p *proc) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Alive reports whether node i is running (paused or not).
func (g *Group) Alive(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.procs[i]
	return p != nil && !exited(p)
}

// Paused reports whether node i is running and stopped by Pause.
func (g *Group) Paused(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.procs[i]
	return p != nil && !exited(p) && p.paused
}

// Pid is node i's process id, or 0 when it is not running.
func (g *Group) Pid(i int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.procs[i]; p != nil && !exited(p) {
		return p.cmd.Process.Pid
	}
	return 0
}

// Kill crashes node i (SIGKILL) and waits until it is gone; a node that is
// not running is left as it is.
func (g *Group) Kill(i int) error {
	g.mu.Lock()
	p := g.procs[i]
	g.mu.Unlock()
	if p == nil || exited(p) {
		return nil
	}
	// A stopped process dies of SIGKILL too: no SIGCONT needed.
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("node %d: %w", i, err)
	}
	<-p.done
	return nil
}

// Pause stops node i (SIGSTOP) and returns once it is stopped (Linux): it
// runs no code until Resume, while the kernel still accepts bytes on its
// sockets.
func (g *Group) Pause(i int) error { return g.signal(i, syscall.SIGSTOP, true) }

// Resume continues node i after Pause (SIGCONT).
func (g *Group) Resume(i int) error { return g.signal(i, syscall.SIGCONT, false) }

func (g *Group) signal(i int, sig syscall.Signal, paused bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.procs[i]
	if p == nil || exited(p) {
		return fmt.Errorf("node %d: not running", i)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("node %d: %w", i, err)
	}
	if sig == syscall.SIGSTOP {
		waitStopped(p.cmd.Process.Pid)
	}
	p.paused = paused
	return nil
}

// Exited reports whether node i's last process has exited, and its wait
// status.
func (g *Group) Exited(i int) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.procs[i]
	if p == nil || !exited(p) {
		return false, nil
	}
	return true, p.err
}

// Close kills every node and waits for each.
func (g *Group) Close() error {
	var errs []error
	for i := range g.specs {
		errs = append(errs, g.Kill(i))
	}
	return errors.Join(errs...)
}
