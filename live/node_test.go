package live

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
)

// TestWAL: what a node saves comes back when it restarts, in order; a
// record cut short by a crash ends the file, and the next save carries on
// from the last whole record.
func TestWAL(t *testing.T) {
	dir := t.TempDir()
	w, hs, ents, err := openWAL(dir, 1)
	if err != nil || hs != nil || len(ents) != 0 {
		t.Fatalf("a new file: %v %v %v", hs, ents, err)
	}
	ent := func(i, term uint64) *pb.Entry {
		return &pb.Entry{Index: new(i), Term: new(term), Data: []byte{byte(i)}}
	}
	if err := w.save(&pb.HardState{Term: new(uint64(2)), Vote: new(uint64(3))}, []*pb.Entry{ent(1, 1), ent(2, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := w.save(&pb.HardState{Term: new(uint64(3)), Vote: new(uint64(1)), Commit: new(uint64(2))}, nil); err != nil {
		t.Fatal(err)
	}
	w.close()
	path := filepath.Join(dir, "node-1.wal")
	whole, _ := os.ReadFile(path)
	// A crash in the middle of the next write: half a record.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(whole[:12]) // a header and 3 bytes of its record
	f.Close()
	w, hs, ents, err = openWAL(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.HardState{Term: new(uint64(3)), Vote: new(uint64(1)), Commit: new(uint64(2))}
	if !proto.Equal(hs, want) || len(ents) != 2 || !proto.Equal(ents[1], ent(2, 2)) {
		t.Fatalf("read back %v, %v; want %v and two entries", hs, ents, want)
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(whole)) {
		t.Errorf("the cut record was not truncated: %d bytes, want %d", st.Size(), len(whole))
	}
	if err := w.save(nil, []*pb.Entry{ent(3, 3)}); err != nil {
		t.Fatal(err)
	}
	w.close()
	if _, _, ents, _ = openWAL(dir, 1); len(ents) != 3 {
		t.Errorf("%d entries after a save past the cut; want 3", len(ents))
	}
	for want := range uint32(3) {
		if n, err := nextIncarnation(dir, 1); err != nil || n != want {
			t.Errorf("incarnation %d, %v; want %d", n, err, want)
		}
	}
}

// TestEnvelopeWire: an envelope crosses the wire unchanged.
func TestEnvelopeWire(t *testing.T) {
	e := sim.Envelope[*pb.Message]{From: 2, To: 0, ID: 1<<48 | 7, SentUS: 123456, Seq: 9, RTTUS: -1, Value: 42, Type: eventlog.MsgHeartbeat, Append: true,
		Body: &pb.Message{Type: pb.MsgApp.Enum(), To: new(uint64(1)), From: new(uint64(3)), Term: new(uint64(5)), Entries: []*pb.Entry{{Index: new(uint64(4)), Data: []byte("x")}}}}
	b, err := encodeEnvelope(&e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.Body, e.Body) {
		t.Errorf("body %v, want %v", got.Body, e.Body)
	}
	got.Body, e.Body = nil, nil
	if got != e {
		t.Errorf("envelope %+v, want %+v", got, e)
	}
	if _, err := decodeEnvelope(b[:10]); err == nil {
		t.Error("a short frame was accepted")
	}
}

// TestNodeEventsFile: rows, lateness and policy calls come back from a node's file; a
// record cut by a crash is dropped.
func TestNodeEventsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node-0.events")
	f, _ := os.Create(path)
	s := &nodeSink{f: f, node: 0}
	rows := []eventlog.Event{
		{TimeUS: 5, Kind: eventlog.BecameFollower, Node: 0, Term: 1, Peer: -1, Value: 2, Arm: -1},
		{TimeUS: 1 << 40, Kind: eventlog.HeartbeatRecv, Node: 0, Term: 7, Peer: 2, Value: -3, Arm: 4, MsgID: 1<<48 | 1},
	}
	s.Emit(&rows[0])
	s.late(9000, 812)
	s.policyCall(0, false, 140)
	s.Emit(&rows[1])
	s.policyCall(0, true, 95)
	s.policyCall(0, false, 0)
	f.Write(make([]byte, 17)) // half a record
	f.Close()
	nf, err := readNodeEvents(path)
	if err != nil || len(nf.evs) != 2 || nf.evs[0] != rows[0] || nf.evs[1] != rows[1] || len(nf.late) != 1 || nf.late[0].Value != 812 || nf.late[0].TimeUS != 9000 ||
		!slices.Equal(nf.choose, []int64{140, 0}) || !slices.Equal(nf.update, []int64{95}) {
		t.Errorf("read %+v, %v; want rows %+v, late [812], choose [140 0], update [95]", nf, err, rows)
	}
}

// TestClusterFileErrors: a bad cluster file gets one line naming the field
// and what is allowed.
func TestClusterFileErrors(t *testing.T) {
	dir := t.TempDir()
	good := `{"start_unix_ns": 1, "nodes": [{"listen": "127.0.0.1:1", "peers": ["", "127.0.0.1:2"]}, {"listen": "127.0.0.1:2", "peers": ["127.0.0.1:1", ""]}]}`
	for _, c := range []struct{ text, want string }{
		{good, ""},
		{`{"nodes": []`, "allowed: a JSON cluster file"},
		{strings.Replace(good, `"start_unix_ns": 1`, `"start_unix_ns": 0`, 1), "start_unix_ns: 0; allowed: the run's start"},
		{strings.Replace(good, `"127.0.0.1:1", ""`, `"nowhere", ""`, 1), "nodes[1].peers[0]: \"nowhere\""},
		{strings.Replace(good, `["", "127.0.0.1:2"]`, `[""]`, 1), "nodes[0].peers: 1 addresses; allowed: one per node (2)"},
	} {
		p := filepath.Join(dir, "cluster.json")
		os.WriteFile(p, []byte(c.text), 0o644)
		_, err := ReadClusterFile(p, 2)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("good file: %v", err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: %v; want one line containing %q", c.text, err, c.want)
		}
	}
	if _, err := ReadClusterFile(filepath.Join(dir, "cluster.json"), 3); err == nil || !strings.Contains(err.Error(), "nodes: 2 nodes for a scenario of 3") {
		t.Errorf("wrong size: %v", err)
	}
}
