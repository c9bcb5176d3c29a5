package etcdcluster

import (
	"syscall"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		line string
		want Event
		ok   bool
	}{
		{`{"level":"info","ts":"2026-12-03T07:04:29.561611Z","logger":"raft","caller":"v3@v3.7.0/raft.go:988","msg":"2e1259d415f2a040 is starting a new election at term 1"}`,
			Event{At: time.Date(2026, 12, 3, 7, 4, 29, 561611000, time.UTC), Member: 2, Kind: Timeout, Term: 1, Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:04:29.562008Z","logger":"raft","msg":"2e1259d415f2a040 became candidate at term 2"}`,
			Event{At: time.Date(2026, 12, 3, 7, 4, 29, 562008000, time.UTC), Member: 2, Kind: Candidate, Term: 2, Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:04:29.061186Z","logger":"raft","msg":"2e1259d415f2a040 became follower at term 1"}`,
			Event{At: time.Date(2026, 12, 3, 7, 4, 29, 61186000, time.UTC), Member: 2, Kind: Follower, Term: 1, Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:09:58.477971Z","logger":"raft","msg":"121453bb6c9c9abe [logterm: 2, index: 8, vote: 0] cast MsgVote for 59cfb36ca2a46428 [logterm: 2, index: 8] at term 3"}`,
			Event{At: time.Date(2026, 12, 3, 7, 9, 58, 477971000, time.UTC), Member: 2, Kind: VoteGrant, Term: 3, PeerID: "59cfb36ca2a46428", Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:09:58.477971Z","logger":"raft","msg":"121453bb6c9c9abe [logterm: 2, index: 8, vote: 0] rejected MsgPreVote from 59cfb36ca2a46428 [logterm: 2, index: 7] at term 2"}`,
			Event{At: time.Date(2026, 12, 3, 7, 9, 58, 477971000, time.UTC), Member: 2, Kind: PreVoteDeny, Term: 2, PeerID: "59cfb36ca2a46428", Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:09:58.490093Z","logger":"raft","msg":"59cfb36ca2a46428 received MsgVoteResp from 121453bb6c9c9abe at term 3"}`,
			Event{At: time.Date(2026, 12, 3, 7, 9, 58, 490093000, time.UTC), Member: 2, Kind: VoteResp, Term: 3, PeerID: "121453bb6c9c9abe", Peer: -1, Granted: true}, true},
		{`{"level":"info","ts":"2026-12-03T07:09:58.490093Z","logger":"raft","msg":"59cfb36ca2a46428 received MsgPreVoteResp rejection from 121453bb6c9c9abe at term 2"}`,
			Event{At: time.Date(2026, 12, 3, 7, 9, 58, 490093000, time.UTC), Member: 2, Kind: PreVoteResp, Term: 2, PeerID: "121453bb6c9c9abe", Peer: -1}, true},
		{`{"level":"info","ts":"2026-12-03T07:09:58.490093Z","logger":"raft","msg":"59cfb36ca2a46428 received MsgVoteResp from 59cfb36ca2a46428 at term 3"}`, Event{}, false},
		{`{"level":"info","ts":"2026-12-03T07:04:29.561907Z","logger":"raft","msg":"2e1259d415f2a040 has received 1 MsgPreVoteResp votes and 0 vote rejections"}`, Event{}, false},
		{`{"level":"info","ts":"2026-12-03T07:04:29.561907Z","logger":"etcdserver","msg":"2e1259d415f2a040 became leader at term 1"}`, Event{}, false},
		{`not json`, Event{}, false},
	} {
		got, ok, err := parse([]byte(c.line), 2)
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("parse(%s) = %+v, %v, %v; want %+v, %v", c.line, got, ok, err, c.want, c.ok)
		}
	}
	if _, _, err := parse([]byte(`{"ts":"yesterday","logger":"raft","msg":"1 became leader at term 3"}`), 0); err == nil {
		t.Error("a bad timestamp is not an error")
	}
}

// TestLeaderCrash: a real three-member etcd cluster with etcd's default
// timing (heartbeat 100 ms, election timeout 1000 ms) elects a leader;
// after the leader is killed the others elect another at a higher term,
// within a few election timeouts; the old leader comes back as a
// follower; and no process is left when the cluster is closed.
func TestLeaderCrash(t *testing.T) {
	bin, err := Binary()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	c, err := Start(Options{Binary: bin, Dir: dir, Members: 3, HeartbeatMS: 100, ElectionMS: 1000, PreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	old, term, err := c.WaitLeader(0, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // settle: heartbeats flowing
	killed := time.Now()
	if err := c.Kill(old); err != nil {
		t.Fatal(err)
	}
	leader, term2, err := c.WaitLeader(term, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var won time.Time
	for _, e := range c.Events() {
		if e.Kind == Leader && e.Term == term2 {
			won = e.At
		}
	}
	failover := won.Sub(killed)
	t.Logf("leader m%d (term %d) killed; m%d leader at term %d after %v", old, term, leader, term2, failover)
	if leader == old || failover <= 0 || failover > 10*time.Second {
		t.Errorf("failover: m%d -> m%d in %v; want another member within 10 s", old, leader, failover)
	}
	if err := c.Restart(old); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for back := false; !back; {
		for _, e := range c.Events() {
			back = back || e.Member == old && e.Kind == Follower && e.Term >= term2
		}
		if time.Now().After(deadline) {
			t.Fatalf("m%d did not come back as a follower at term >= %d", old, term2)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pids := []int{c.Pid(0), c.Pid(1), c.Pid(2)}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("pid %d still there after Close (kill 0: %v)", pid, err)
		}
	}
}
