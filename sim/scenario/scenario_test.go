package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinScenariosLoad(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2 {
		t.Fatalf("only %d built-in scenarios", len(all))
	}
	for _, s := range all {
		if s.Description == "" || len(s.Description) > 120 {
			t.Errorf("%s: description must be one short line, got %q", s.Name, s.Description)
		}
	}
}

// TestHashIgnoresFormatting: comments, key order and flow style do not
// change a scenario's identity; a value does.
func TestHashIgnoresFormatting(t *testing.T) {
	a, err := Parse("a.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("# comment\nnodes: 3\nname: x\nnetwork:\n  default:\n    base_delay_ms: 5.0\nraft:\n  heartbeat_ms: 50\nduration_s: 1\ndescription: d\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("c.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 6}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Errorf("formatting changed the hash: %s vs %s", a.Hash(), b.Hash())
	}
	if a.Hash() == c.Hash() {
		t.Errorf("a different delay kept the hash")
	}
}

func TestTimeline(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
name: t
description: d
nodes: 5
duration_s: 60
raft: {heartbeat_ms: 50}
network:
  default: {base_delay_ms: 5}
  regimes: [{at_s: 0, id: 0}, {at_s: 30, id: 1}]
  bursts: {mean_good_s: 5, mean_bad_ms: 500, loss: 0.2}
partitions:
  - {at_s: 10, duration_s: 2, isolate: [1], repeat: {count: 10, every_s: 20}, turbulence: {duration_ms: 1000}}
crashes:
  - {node: leader, at_s: 5, phase: heartbeat, restart_after_ms: 1000, repeat: {count: 100, every_s: 7}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(s, 9)
	if got := len(tl.Partitions); got != 3 { // at 10, 30, 50; 70 is past the end
		t.Errorf("%d partition occurrences, want 3", got)
	}
	if got := len(tl.Crashes); got != 8 { // 5, 12, ..., 54 (+ phase < 50 ms)
		t.Errorf("%d crash occurrences, want 8", got)
	}
	for i, c := range tl.Crashes {
		base := int64(5+7*i) * 1_000_000
		if c.AtUS < base || c.AtUS >= base+50_000 {
			t.Errorf("crash %d at %d µs, want within one heartbeat after %d", i, c.AtUS, base)
		}
		if c.Node != -1 {
			t.Errorf("crash %d targets node %d, want the leader (-1)", i, c.Node)
		}
	}
	var bursts, inBurst int
	for i, ev := range tl.Events {
		if i > 0 && ev.AtUS < tl.Events[i-1].AtUS {
			t.Fatalf("events out of order at %d", i)
		}
		if ev.AtUS >= s.DurationUS() {
			t.Fatalf("event past the end: %+v", ev)
		}
		switch ev.Kind {
		case InjBurstStart:
			bursts++
			inBurst++
			if inBurst != 1 {
				t.Fatal("burst started twice")
			}
		case InjBurstEnd:
			inBurst--
		}
	}
	// Good periods average 5 s: about 11 bursts in 60 s; allow wide slack.
	if bursts < 3 || bursts > 25 {
		t.Errorf("%d bursts in 60 s with mean good period 5 s", bursts)
	}
	other := NewTimeline(s, 10)
	if len(other.Events) == len(tl.Events) && other.Crashes[0].AtUS == tl.Crashes[0].AtUS {
		t.Errorf("seeds 9 and 10 gave the same timeline")
	}
}

// TestRaftEtcdFields: vote_lease and proposal_bytes decode, default, and
// reject bad values with one line naming the field; leaving them out keeps
// a scenario's hash (and so every existing run ID) what it was before the
// fields existed.
func TestRaftEtcdFields(t *testing.T) {
	const base = "name: x\ndescription: d\nnodes: 3\nduration_s: 1\nnetwork: {default: {base_delay_ms: 5}}\n"
	cases := []struct {
		raft      string
		wantLease string
		wantBytes int
		wantErr   string
	}{
		{"raft: {heartbeat_ms: 50}", VoteLeaseFixed, DefaultProposalBytes, ""},
		{"raft: {heartbeat_ms: 50, vote_lease: fixed}", VoteLeaseFixed, DefaultProposalBytes, ""},
		{"raft: {heartbeat_ms: 50, vote_lease: own_timer, proposal_bytes: 0}", VoteLeaseOwnTimer, 0, ""},
		{"raft: {heartbeat_ms: 50, proposal_bytes: 1024}", VoteLeaseFixed, 1024, ""},
		{"raft: {heartbeat_ms: 50, vote_lease: forever}", "", 0, `raft.vote_lease: "forever" is not allowed; allowed: fixed (default), own_timer`},
		{"raft: {heartbeat_ms: 50, proposal_bytes: -1}", "", 0, "raft.proposal_bytes: -1 is not allowed; allowed: bytes in [0, 1048576]"},
		{"raft: {heartbeat_ms: 50, proposal_bytes: 2000000}", "", 0, "raft.proposal_bytes: 2000000 is not allowed"},
	}
	for _, c := range cases {
		s, err := Parse("x.yaml", []byte(base+c.raft+"\n"))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: error %v; want one line containing %q", c.raft, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.raft, err)
			continue
		}
		if s.VoteLeaseMode() != c.wantLease || s.ProposalPayloadBytes() != c.wantBytes {
			t.Errorf("%s: lease %q bytes %d; want %q %d", c.raft, s.VoteLeaseMode(), s.ProposalPayloadBytes(), c.wantLease, c.wantBytes)
		}
	}
	// The hash of a scenario without the fields, computed before they
	// were added (commit 7e4a56a): unchanged.
	plain, err := Parse("x.yaml", []byte(base+"raft: {heartbeat_ms: 50}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plain.Hash(), plainHashBeforeEtcdFields; got != want {
		t.Errorf("hash of a scenario without the new fields changed: %s, was %s", got, want)
	}
	set, _ := Parse("x.yaml", []byte(base+"raft: {heartbeat_ms: 50, vote_lease: own_timer}\n"))
	if set.Hash() == plain.Hash() {
		t.Error("vote_lease: own_timer kept the hash")
	}
}

// plainHashBeforeEtcdFields is TestRaftEtcdFields' plain scenario's hash
// as computed by the code before vote_lease and proposal_bytes existed.
const plainHashBeforeEtcdFields = "95b9e10deab205d1"

// TestDeploymentFields: the keys that model real deployments decode, are
// refused with one line naming the field when wrong, and, left out, keep
// a scenario's hash (so every existing run ID) what it was before them.
func TestDeploymentFields(t *testing.T) {
	const base = "name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50%s}\n"
	cases := []struct {
		raft, extra string
		wantErr     string
	}{
		{"", "", ""},
		{", timer_reset: paper", "", ""},
		{", timer_reset: etcd", "", ""},
		{", timer_reset: logcabin", "", `raft.timer_reset: "logcabin" is not allowed; allowed: etcd (default), paper`},
		{"", "storage: {fsync: {dist: constant, value_ms: 2}, nodes: [{node: 2, fsync: {dist: exponential, mean_ms: 20}}]}", ""},
		{"", "storage: {nodes: [{node: 2, fsync: {dist: constant, value_ms: 2}}]}", "storage.fsync: missing"},
		{"", "storage: {fsync: {dist: constant, value_ms: -2}}", "storage.fsync.value_ms"},
		{"", "storage: {fsync: {dist: constant, value_ms: 2}, nodes: [{node: 3, fsync: {dist: constant, value_ms: 2}}]}", "storage.nodes[0].node: node 3 does not exist; allowed: a node index in [0, 2]"},
		{"", "storage: {fsync: {dist: constant, value_ms: 2}, nodes: [{node: 1, fsync: {dist: constant, value_ms: 2}}, {node: 1, fsync: {dist: constant, value_ms: 3}}]}", "storage.nodes[1].node: node 1 already has its fsync at storage.nodes[0]"},
		{"", "nodes_timer_jitter: {dist: exponential, mean_ms: 1}", ""},
		{"", "nodes_timer_jitter: {dist: exponential}", "nodes_timer_jitter.mean_ms"},
		{"", "crashes: [{node: leader, at_s: 0.5, mode: sleep, restart_after_ms: 100}]", ""},
		{"", "crashes: [{node: leader, at_s: 0.5, mode: nap}]", `crashes[0].mode: "nap" is not allowed; allowed: crash (default), sleep`},
		{"", "crashes: [{node: leader, at_s: 0.5, lagging_followers: 1}]", ""},
		{"", "crashes: [{node: leader, at_s: 0.5, lagging_followers: 2, uncommitted: true}]", ""},
		{"", "crashes: [{node: leader, at_s: 0.5, lagging_followers: 2}]", "crashes[0].lagging_followers: 2 leaves the leader's last entry on 1 of 3 nodes, short of a majority (2), so it was never committed; allowed: at most 1, or set uncommitted: true"},
		{"", "crashes: [{node: leader, at_s: 0.5, lagging_followers: 3, uncommitted: true}]", "crashes[0].lagging_followers: 3 is not allowed; allowed: followers in [0, 2] (nodes - 1)"},
		{"", "crashes: [{node: leader, at_s: 0.5, uncommitted: true}]", "crashes[0].uncommitted: is set without lagging_followers"},
		{"", "network: {default: {base_delay_ms: 5}, transport: stream, rto_ms: 300}", ""},
		{"", "network: {default: {base_delay_ms: 5}, transport: {default: stream, heartbeat: datagram}}", ""},
		{"", "network: {default: {base_delay_ms: 5}, transport: tcp}", `network.transport.default: "tcp" is not allowed; allowed: datagram (default), stream`},
		{"", "network: {default: {base_delay_ms: 5}, transport: {default: stream, gossip: datagram}}", `unknown message class "gossip"; allowed: default, vote, heartbeat, append`},
		{"", "network: {default: {base_delay_ms: 5}, transport: {vote: udp}}", `network.transport.vote: "udp" is not allowed`},
		{"", "network: {default: {base_delay_ms: 5}, rto_ms: 0}", "network.rto_ms: 0 is not allowed"},
	}
	for _, c := range cases {
		if !strings.HasPrefix(c.extra, "network:") {
			c.extra += "\nnetwork: {default: {base_delay_ms: 5}}"
		}
		src := fmt.Sprintf(base, c.raft) + c.extra + "\n"
		_, err := Parse("x.yaml", []byte(src))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %s: error %v; want one line containing %q", c.raft, c.extra, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.raft, c.extra, err)
		}
	}
	plain, err := Parse("x.yaml", []byte(fmt.Sprintf(base, "")+"network: {default: {base_delay_ms: 5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plain.Hash(), plainHashBeforeEtcdFields; got != want {
		t.Errorf("hash of a scenario without the new keys changed: %s, was %s", got, want)
	}
}

// TestMeasuredFiles: traces and samples are read relative to the scenario
// file, pinned by content (the scenario's hash changes with a file's
// content, not with its name's directory), and refused with one line
// naming the field, the file and its line when missing or malformed.
func TestMeasuredFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = "name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50}\n"
	write("m/wan.csv", "t_s,delay_ms,loss\n0,10,0\n30,40,0.02\n")
	write("m/rtt.txt", "# one-way\n1\n2\n3\n")
	ok := write("x.yaml", head+"network:\n  default: {trace: m/wan.csv, trace_end: repeat, jitter: {dist: empirical, file: m/rtt.txt}}\n")
	s, err := Load(ok)
	if err != nil {
		t.Fatal(err)
	}
	if s.Network.Default.Measured == nil || len(s.Network.Default.Jitter.Samples) != 3 {
		t.Fatalf("files not read: %+v", s.Network.Default)
	}
	h1 := s.Hash()
	write("m/rtt.txt", "1\n2\n4\n")
	s2, err := Load(ok)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Hash() == h1 {
		t.Error("changing a samples file kept the scenario's hash")
	}
	for _, c := range []struct{ network, want string }{
		{"{default: {trace: m/none.csv}}", "network.default.trace: m/none.csv does not exist; allowed: a trace file"},
		{"{default: {trace: /etc/wan.csv}}", "network.default.trace: /etc/wan.csv is an absolute path"},
		{"{default: {base_delay_ms: 5, links: []}, links: [{from: 0, to: 1, trace: m/bad.csv}]}", "network.links[0].trace: m/bad.csv:4: t_s 1 is not after the row before (2); allowed: strictly increasing times"},
		{"{default: {base_delay_ms: 5, trace: m/wan.csv}}", "network.default.trace: is set with base_delay_ms"},
		{"{default: {trace: m/wan.csv, loss: 0.1}}", "network.default.loss: is set with a trace that has a loss column"},
		{"{default: {trace: m/one.csv, trace_end: repeat}}", "network.default.trace_end: repeat with a trace of one row"},
		{"{default: {base_delay_ms: 5, trace_end: hold}}", "network.default.trace_end: is set without a trace"},
		{"{default: {base_delay_ms: 5, jitter: {dist: empirical, file: m/none.txt}}}", "network.default.jitter.file: m/none.txt does not exist"},
		{"{default: {base_delay_ms: 5}, regimes: [{at_s: 0, id: 1, trace: m/wan.csv}]}", "network.regimes[0].trace: a regime cannot change the trace"},
	} {
		write("m/bad.csv", "t_s,delay_ms\n0,1\n2,3\n1,4\n")
		write("m/one.csv", "t_s,delay_ms\n0,1\n")
		p := write("x.yaml", head+"network: "+strings.Replace(c.network, "links: []}, ", "}, ", 1)+"\n")
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v; want one line containing %q", c.network, err, c.want)
		}
	}
}
