package etcdraft

import (
	"context"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/ballast-bench/ballast/sim"
)

// Live is one node of a live run (package live runs each in its own
// process): this engine's protocol, policy hook and split clock for that
// node alone, served in wall time by sim.Host.Serve. Its storage starts
// from what the node's write-ahead file held (hs and ents, replayed over
// the bootstrap configuration), and every Ready that must be persisted
// goes to save before its messages leave: the live node fsyncs there.
type Live struct {
	r    *run
	id   int
	term uint64 // persisted
}

// NewLive prepares node id of cfg's run from its persisted state.
func NewLive(cfg *sim.Config, id int, hs *pb.HardState, ents []*pb.Entry, save func(hs *pb.HardState, ents []*pb.Entry) error) (*Live, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	st := r.nodes[id].st
	if hs != nil {
		if err := st.SetHardState(hs); err != nil {
			return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "restoring raft state: " + err.Error()}
		}
	}
	if len(ents) > 0 {
		if err := st.Append(ents); err != nil {
			return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "restoring raft log: " + err.Error()}
		}
	}
	r.save = save
	return &Live{r: r, id: id, term: hs.GetTerm()}, nil
}

// Serve runs the node until ctx ends (sim.Host.Serve).
func (l *Live) Serve(ctx context.Context, incarn uint32, w sim.Wire[*pb.Message], clock func() int64, in <-chan sim.Envelope[*pb.Message], late func(nowUS, lateUS int64)) error {
	return l.r.Serve(ctx, l.id, incarn, l.term, w, clock, in, late)
}
