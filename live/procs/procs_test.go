package procs

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary is also the nodes: with BALLAST_PROCS_HELPER set it
// runs a helper instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("BALLAST_PROCS_HELPER") {
	case "":
		os.Exit(m.Run())
	case "sleep":
		select {}
	case "listen":
		// Serve the inherited listener (fd 3): answer each connection
		// with this process's pid.
		ln, err := net.FileListener(os.NewFile(3, "listener"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(4)
			}
			fmt.Fprintf(c, "%d\n", os.Getpid())
			c.Close()
		}
	case "coordinator":
		// A coordinator that starts one node, says its pid, and waits to
		// be killed without stopping it.
		g := NewGroup([]Spec{helper("sleep")})
		if err := g.Start(0); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
		fmt.Println(g.Pid(0))
		select {}
	}
}

func helper(kind string, files ...*os.File) Spec {
	return Spec{Path: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{"BALLAST_PROCS_HELPER=" + kind}, Files: files, Stderr: os.Stderr}
}

// state is the process state letter of pid (/proc/PID/stat): R, S, T
// (stopped), Z (zombie); "" when there is no such process.
func state(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return strings.Fields(s[i+1:])[0]
}

func gone(pid int) bool { st := state(pid); return st == "" || st == "Z" }

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ask(t *testing.T, addr string) int {
	t.Helper()
	var c net.Conn
	var err error
	for range 200 {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// TestCrashPauseRestart: a node's inherited listener keeps its port over
// a crash and a restart; SIGSTOP and SIGCONT stop and continue it; Close
// leaves no process.
func TestCrashPauseRestart(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // the node holds the socket through f from now on
	defer f.Close()
	addr := ln.Addr().String()
	g := NewGroup([]Spec{helper("listen", f), helper("sleep")})
	defer g.Close()
	for i := range g.Len() {
		if err := g.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Start(0); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("starting a running node: %v", err)
	}
	first := ask(t, addr)
	if first != g.Pid(0) {
		t.Errorf("node 0 answered pid %d, its pid is %d", first, g.Pid(0))
	}

	if err := g.Pause(0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node 0 stopped", func() bool { return state(first) == "T" })
	if !g.Paused(0) || !g.Alive(0) {
		t.Errorf("paused node: Paused %v, Alive %v", g.Paused(0), g.Alive(0))
	}
	if err := g.Resume(0); err != nil {
		t.Fatal(err)
	}
	if pid := ask(t, addr); pid != first {
		t.Errorf("after resuming: pid %d, want %d", pid, first)
	}

	if err := g.Kill(0); err != nil {
		t.Fatal(err)
	}
	if g.Alive(0) || !gone(first) {
		t.Errorf("killed node: Alive %v, state %q", g.Alive(0), state(first))
	}
	if exited, err := g.Exited(0); !exited || err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("killed node: exited %v, status %v; want signal: killed", exited, err)
	}
	if err := g.Start(0); err != nil {
		t.Fatal(err)
	}
	if second := ask(t, addr); second == first || second != g.Pid(0) {
		t.Errorf("restarted node answered pid %d (first %d, now %d): want the new process on the same port", second, first, g.Pid(0))
	}

	pids := []int{g.Pid(0), g.Pid(1)}
	if err := g.Pause(1); err != nil { // a stopped node dies of Close too
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("pid %d is still there after Close (state %q)", pid, state(pid))
		}
	}
	if err := g.Pause(0); err == nil {
		t.Error("pausing a node that is not running: no error")
	}
}

// TestCoordinatorDeath: when the coordinator is killed outright (no Close,
// no signal handler), the kernel kills its nodes.
func TestCoordinatorDeath(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BALLAST_PROCS_HELPER=coordinator")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	node, _ := strconv.Atoi(strings.TrimSpace(line))
	if node == 0 || gone(node) {
		t.Fatalf("the coordinator's node (pid %q) is not running", line)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitFor(t, fmt.Sprintf("node pid %d to die with its coordinator", node), func() bool { return gone(node) })
}
