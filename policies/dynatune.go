package policies

import (
	"fmt"
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
)

// This file holds the three Dynatune policies:
//
//   - dynatune_et and dynatune_joint, the BALLAST paper's scoped baselines
//     (section 6.1, Table A.11): one shared timeout base from the RTT,
//     a one-way-delay fallback, a minimum timeout/heartbeat ratio and a clamp;
//     dynatune_joint also co-tunes one heartbeat interval;
//   - dynatune, the protocol of the Dynatune paper (Shiozaki et al., section
//     III) as its public implementation behaves
//     (docs/notes/dynatune.md): per-follower RTT and loss measured
//     through heartbeat piggybacking, per-follower heartbeat intervals.

// --- dynatune_et and dynatune_joint -----------------------------------------------

// dtConfig is the shared configuration of dynatune_et and dynatune_joint.
type dtConfig struct {
	safety, oneway, minRatio, clampMaxUS float64
	minSamples                           int
	minJitterUS                          float64
	joint                                bool
	hbRatio, hbMinUS, hbMaxUS            float64
}

// dynatuneScoped computes base = mean + safety_factor*std of the RTTs its
// leader measured and piggybacked (a policy.Window of the last HeartbeatWindow,
// cleared when the leader or term changes: RTTs describe one
// leader-follower path). Without min_samples RTTs it falls back to the
// one-way heartbeat delays of the observer's policy.Window, scaled to a round
// trip: base = oneway_factor*(mean + safety_factor*std). Then
// base >= min_hb_ratio * heartbeat interval, base <= clamp_max_ms, and the
// deadline is drawn from [base, 2*base) as Dynatune does. With no sample at
// all, base is its floor, min_hb_ratio * heartbeat interval.
//
// dynatune_joint also sets the leader's heartbeat interval, one for all
// followers (the BALLAST paper's "shared timeout/heartbeat base", no
// per-follower timers): the leader computes the same kind of base from the
// RTTs it measures to all followers, and the interval is
// base/heartbeat_ratio clamped to [hb_min_ms, hb_max_ms]. The leader
// piggybacks the interval on its heartbeats so each follower applies
// min_hb_ratio to the interval actually in use.
type dynatuneScoped struct {
	cfg *dtConfig
	rng *rand.Rand

	rtt        policy.Window
	leader     int
	term       uint64
	seenLeader bool
	hbUS       int64 // joint: the interval the leader says it uses; 0 unknown

	leaderRTT policy.Window // joint, leader side: RTTs to all followers
	leaderHB  int64         // joint, leader side: the interval in use; 0 the scenario's
}

func (p *dynatuneScoped) base(mean, std, scale float64) float64 {
	return scale * (mean + p.cfg.safety*std)
}

func (p *dynatuneScoped) Deadline(o *policy.Observation) policy.Decision {
	c := p.cfg
	hb := float64(o.HeartbeatUS)
	if p.hbUS > 0 {
		hb = float64(p.hbUS)
	}
	if !(hb > 0) {
		hb = fallbackHeartbeatUS
	}
	b := 0.0
	if n, mean, std := p.rtt.Stats(); n >= c.minSamples {
		b = p.base(mean, std, 1)
	} else if o.DelayCount >= c.minSamples {
		b = p.base(finiteNonNeg(o.DelayMeanUS, policy.MaxSampleUS), finiteNonNeg(o.DelayStdUS, policy.MaxSampleUS), c.oneway)
	}
	b = min(max(b, c.minRatio*hb), c.clampMaxUS)
	return policy.Decision{DeadlineUS: drawRange(p.rng, b, 2*b, c.minJitterUS), Arm: -1}
}

func (p *dynatuneScoped) ElectionDone(policy.ElectionResult) {}

func (p *dynatuneScoped) OnHeartbeat(hb *policy.Heartbeat) {
	if !p.seenLeader || hb.Leader != p.leader || hb.Term != p.term {
		p.rtt = policy.Window{}
		p.leader, p.term, p.seenLeader, p.hbUS = hb.Leader, hb.Term, true, 0
	}
	if hb.LeaderRTTUS >= 0 {
		p.rtt.Add(hb.LeaderRTTUS)
	}
	if p.cfg.joint && hb.Value > 0 {
		p.hbUS = hb.Value
	}
}

// Restarted forgets the RTTs: they lived in memory.
func (p *dynatuneScoped) Restarted() {
	p.rtt, p.seenLeader, p.hbUS = policy.Window{}, false, 0
	p.leaderRTT, p.leaderHB = policy.Window{}, 0
}

// dynatuneJoint adds the leader side to dynatuneScoped.
type dynatuneJoint struct{ dynatuneScoped }

func (p *dynatuneJoint) ReplyValue() int64 { return -1 }

func (p *dynatuneJoint) HeartbeatValue(int) int64 {
	if p.leaderHB > 0 {
		return p.leaderHB
	}
	return -1
}

// BecameLeader starts from the scenario's interval and fresh measurements.
func (p *dynatuneJoint) BecameLeader(int64) int64 {
	p.leaderRTT, p.leaderHB = policy.Window{}, 0
	return 0
}

func (p *dynatuneJoint) FollowerReply(_ int, rttUS int64, _ int64) int64 {
	c := p.cfg
	p.leaderRTT.Add(max(rttUS, 0))
	n, mean, std := p.leaderRTT.Stats()
	if n < c.minSamples {
		return 0
	}
	hb := min(max(p.base(mean, std, 1)/c.hbRatio, c.hbMinUS), c.hbMaxUS)
	p.leaderHB = int64(max(math.Round(hb), MinDeadlineUS))
	return p.leaderHB
}

// --- dynatune (protocol-faithful) ---------------------------------------------------

// dynDefaults are the two parameter sets the Dynatune implementation
// documents: its flag defaults, and the ones a README revision recommends.
var dynDefaults = map[string]struct {
	safety, arrivalP float64
	minSamples       int
}{
	"impl":   {3, 0.99, 100},
	"readme": {2, 0.999, 10},
}

type dynConfig struct {
	electionMS   int64 // E: the untuned timeout; the default draw is [E, 2E) ms
	heartbeatUS  int64 // h0: a new leader's interval to every follower
	safety       float64
	arrivalP     float64
	minSamples   int
	window       int
	fixK         int
	lostVoteRule bool
}

// maxRTTSampleUS bounds an RTT sample (one minute) so the exact int64 sum
// of squares of a 2000-sample policy.Window cannot overflow.
const maxRTTSampleUS = 60_000_000

// hbID is one received heartbeat id with the leader's send time.
type hbID struct {
	seq    uint64
	sentUS int64
}

// dynatune is the protocol of docs/notes/dynatune.md.
//
// Follower: on each heartbeat it appends the RTT the leader piggybacked to
// a FIFO (at most policy.Window) and inserts (id, send time) into a list sorted by
// send time (duplicates dropped, at most policy.Window). Once both hold more than
// min_samples, base = mean_ms + s*std_ms (each truncated to whole ms), and
// every timer reset draws a uniform integer in [base, 2*base - 1] ms. The
// loss rate is L = 1 - received/(last_id - first_id + 1), the heartbeats
// needed K = 1 if L <= 0 else ceil(ln(1-p)/ln(L)) (fix_k > 0 fixes K: the
// Fix-K baseline), and the follower piggybacks h = floor(timeout/(K+1)) ms
// on its response; before enough data it sends none (-1). Both lists are
// cleared when the node becomes pre-candidate or candidate, or follower of
// a newer term, and on restart; until they refill the timer draws from
// [E, 2E - 1] ms.
//
// Leader: a new leader sends to every follower every h0; a response that
// carries h sets that follower's interval to h. h = 0 (no clamp in the
// implementation) means every tick: 1 ms here.
//
// The vote lease and CheckQuorum use the untuned E in the implementation;
// here they are the scenario's (raft.check_quorum, the engine's lease).
type dynatune struct {
	cfg *dynConfig
	rng *rand.Rand

	rtt              []int64 // ring, cap policy.Window
	rttHead, rttN    int
	rttSum, rttSumSq int64

	ids         []hbID // ids[idHead:idHead+idN], sorted by send time; cap 2*window
	idHead, idN int

	term     uint64
	baseMS   int64 // > 0 when tuned
	k        int
	replyUS  int64 // -1: none
	lastRole policy.Role

	// The optional lost-vote rule.
	preVoteStartUS int64
	preVoteUS      int64 // C: how long the last successful pre-vote round took
	lostVote       bool
}

func newDynatune(c *dynConfig, rng *rand.Rand) *dynatune {
	return &dynatune{cfg: c, rng: rng, rtt: make([]int64, c.window), ids: make([]hbID, 2*c.window), replyUS: -1}
}

func (p *dynatune) clear() {
	p.rttHead, p.rttN, p.rttSum, p.rttSumSq = 0, 0, 0, 0
	p.idHead, p.idN = 0, 0
	p.baseMS, p.replyUS = 0, -1
}

func (p *dynatune) Deadline(o *policy.Observation) policy.Decision {
	switch {
	case o.Role == policy.PreCandidate || o.Role == policy.Candidate:
		p.clear()
	case o.Role == policy.Follower && o.Term > p.term:
		p.clear()
	}
	p.term = max(p.term, o.Term)
	if o.Role == policy.PreCandidate {
		p.preVoteStartUS = o.NowUS
	} else if o.Role == policy.Candidate && p.lastRole == policy.PreCandidate {
		p.preVoteUS = o.NowUS - p.preVoteStartUS
	}
	p.lastRole = o.Role

	var us int64
	switch {
	case p.baseMS > 0:
		t := p.baseMS + p.rng.Int64N(p.baseMS)
		us = t * 1000
		h := t / int64(p.k+1)
		p.replyUS = max(h, 1) * 1000 // h = 0: every tick
	case p.cfg.lostVoteRule && p.lostVote && p.preVoteUS > 0:
		us = p.preVoteUS + p.rng.Int64N(p.preVoteUS)
	default:
		us = (p.cfg.electionMS + p.rng.Int64N(p.cfg.electionMS)) * 1000
	}
	p.lostVote = false
	return policy.Decision{DeadlineUS: clampDeadline(float64(us)), Arm: -1}
}

func (p *dynatune) ElectionDone(res policy.ElectionResult) {
	if res.Outcome == policy.SteppedDown {
		p.lostVote = true
	}
}

func (p *dynatune) OnHeartbeat(hb *policy.Heartbeat) {
	if hb.Term > p.term {
		p.clear()
		p.term = hb.Term
	}
	if hb.LeaderRTTUS >= 0 {
		p.addRTT(min(hb.LeaderRTTUS, maxRTTSampleUS))
	}
	p.addID(hbID{hb.Seq, hb.SentUS})
	p.tune()
}

func (p *dynatune) addRTT(x int64) {
	w := len(p.rtt)
	if p.rttN == w {
		old := p.rtt[p.rttHead]
		p.rttSum -= old
		p.rttSumSq -= old * old
		p.rttHead = (p.rttHead + 1) % w
		p.rttN--
	}
	p.rtt[(p.rttHead+p.rttN)%w] = x
	p.rttN++
	p.rttSum += x
	p.rttSumSq += x * x
}

// addID inserts in send-time order. Heartbeats mostly arrive in order, so
// the scan from the back usually stops at once.
func (p *dynatune) addID(id hbID) {
	i := p.idHead + p.idN
	for i > p.idHead && p.ids[i-1].sentUS > id.sentUS {
		i--
	}
	for j := i - 1; j >= p.idHead && p.ids[j].sentUS == id.sentUS; j-- {
		if p.ids[j].seq == id.seq {
			return // duplicate
		}
	}
	if p.idHead+p.idN == len(p.ids) { // slide to the front; amortised O(1)
		copy(p.ids, p.ids[p.idHead:p.idHead+p.idN])
		i -= p.idHead
		p.idHead = 0
	}
	copy(p.ids[i+1:p.idHead+p.idN+1], p.ids[i:p.idHead+p.idN])
	p.ids[i] = id
	p.idN++
	if p.idN > p.cfg.window { // drop the oldest by send time
		p.idHead++
		p.idN--
	}
}

// lossRate is L = 1 - received/(last_id - first_id + 1) over the id list,
// 0 with fewer than two ids.
func (p *dynatune) lossRate() float64 {
	if p.idN < 2 {
		return 0
	}
	first, last := p.ids[p.idHead].seq, p.ids[p.idHead+p.idN-1].seq
	if last < first {
		return 0 // ids out of send order: not a loss signal
	}
	return 1 - float64(p.idN)/float64(last-first+1)
}

// heartbeatsNeeded is K = 1 if L <= 0, else ceil(ln(1-p)/ln(L)): the
// fewest heartbeats of which at least one arrives with probability >= p.
func heartbeatsNeeded(loss, p float64) int {
	if !(loss > 0) {
		return 1
	}
	if loss >= 1 {
		return math.MaxInt32
	}
	k := math.Ceil(math.Log(1-p) / math.Log(loss))
	if !(k >= 1) {
		return 1
	}
	return int(min(k, math.MaxInt32))
}

// rttStatsMS returns the RTT mean and population std, each truncated to
// whole ms as the implementation does.
func (p *dynatune) rttStatsMS() (int64, int64) {
	n := float64(p.rttN)
	mean := float64(p.rttSum) / n
	v := max((float64(p.rttSumSq)-float64(p.rttSum)*mean)/n, 0)
	return int64(mean / 1000), int64(math.Sqrt(v) / 1000)
}

func (p *dynatune) tune() {
	if p.rttN <= p.cfg.minSamples || p.idN <= p.cfg.minSamples {
		p.baseMS, p.replyUS = 0, -1
		return
	}
	mean, std := p.rttStatsMS()
	// At least one tick: on a sub-millisecond LAN both truncate to 0.
	p.baseMS = max(int64(float64(mean)+p.cfg.safety*float64(std)), 1)
	if p.cfg.fixK > 0 {
		p.k = p.cfg.fixK
	} else {
		p.k = heartbeatsNeeded(p.lossRate(), p.cfg.arrivalP)
	}
}

// Restarted clears the lists: they live in memory.
func (p *dynatune) Restarted() {
	p.clear()
	p.lostVote = false
}

func (p *dynatune) ReplyValue() int64        { return p.replyUS }
func (p *dynatune) HeartbeatValue(int) int64 { return -1 }
func (p *dynatune) BecameLeader(int64) int64 { return p.cfg.heartbeatUS }
func (p *dynatune) FollowerReply(_ int, _ int64, v int64) int64 {
	if v > 0 {
		return v
	}
	return 0
}

func init() {
	scoped := []Param{
		{Name: "safety_factor", Default: []float64{4.0}, Provenance: Paper, Doc: "base = mean + safety_factor*std (Table A.11)", Min: 0, Max: 100},
		{Name: "oneway_factor", Default: []float64{2.0}, Provenance: Paper, Doc: "one-way delay to RTT factor of the fallback (Table A.11)", Min: 0, Max: 100},
		{Name: "min_hb_ratio", Default: []float64{5.0}, Provenance: Paper, Doc: "base >= min_hb_ratio * heartbeat interval (Table A.11)", Min: 0, Max: 1000},
		{Name: "clamp_max_ms", Default: []float64{2400}, Provenance: Paper, Doc: "base <= clamp_max_ms (Table A.11)", Min: 1, Max: 1_800_000},
		{Name: "min_samples", Default: []float64{2}, Provenance: Ours, Doc: "RTT (or delay) samples needed before they are used", Min: 1, Max: policy.HeartbeatWindow, Integer: true},
		paramMinJitter,
	}
	newScoped := func(p Params) *dtConfig {
		return &dtConfig{
			safety: p.Scalar("safety_factor"), oneway: p.Scalar("oneway_factor"),
			minRatio: p.Scalar("min_hb_ratio"), clampMaxUS: msToUS(p.Scalar("clamp_max_ms")),
			minSamples: int(p.Scalar("min_samples")), minJitterUS: msToUS(p.Scalar("min_jitter_ms")),
		}
	}
	Register(&Spec{
		Name:   "dynatune_et",
		Doc:    "election timeout from RTT mean + safety_factor*std (one-way fallback, min ratio, clamp); heartbeat fixed",
		Params: scoped,
		New: func(p Params) (policy.Factory, error) {
			c := newScoped(p)
			return func(_ int, rng *rand.Rand) policy.Policy { return &dynatuneScoped{cfg: c, rng: rng} }, nil
		},
	})
	joint := []Param{
		{Name: "safety_factor", Default: []float64{2.0}, Provenance: Paper, Doc: "base = mean + safety_factor*std (Table A.11)", Min: 0, Max: 100},
		scoped[1],
		{Name: "min_hb_ratio", Default: []float64{4.0}, Provenance: Paper, Doc: "base >= min_hb_ratio * heartbeat interval (Table A.11)", Min: 0, Max: 1000},
		scoped[3],
		{Name: "heartbeat_ratio", Default: []float64{4.0}, Provenance: Paper, Doc: "heartbeat interval = base / heartbeat_ratio (Table A.11)", Min: 0.01, Max: 1000},
		{Name: "hb_min_ms", Default: []float64{20}, Provenance: Paper, Doc: "lower clamp of the heartbeat interval (Table A.11)", Min: 1, Max: 3_600_000},
		{Name: "hb_max_ms", Default: []float64{1000}, Provenance: Paper, Doc: "upper clamp of the heartbeat interval (Table A.11)", Min: 1, Max: 3_600_000},
		scoped[4],
		scoped[5],
	}
	Register(&Spec{
		Name:   "dynatune_joint",
		Doc:    "dynatune_et whose base also sets one shared heartbeat interval (base / heartbeat_ratio, clamped)",
		Params: joint,
		New: func(p Params) (policy.Factory, error) {
			c := newScoped(p)
			c.joint = true
			c.hbRatio = p.Scalar("heartbeat_ratio")
			c.hbMinUS, c.hbMaxUS = msToUS(p.Scalar("hb_min_ms")), msToUS(p.Scalar("hb_max_ms"))
			if c.hbMaxUS < c.hbMinUS {
				return nil, fmt.Errorf("hb_max_ms %v is below hb_min_ms %v; allowed: hb_max_ms >= hb_min_ms", p.Scalar("hb_max_ms"), p.Scalar("hb_min_ms"))
			}
			return func(_ int, rng *rand.Rand) policy.Policy {
				return &dynatuneJoint{dynatuneScoped{cfg: c, rng: rng}}
			}, nil
		},
	})
	Register(&Spec{
		Name: "dynatune",
		Doc:  "Dynatune as published: per-follower RTT and loss via heartbeat piggyback, K heartbeats per timeout, resets on candidacy",
		Params: []Param{
			{Name: "election_ms", Default: []float64{1000}, Provenance: Paper, Doc: "E: the untuned timeout, drawn from [E, 2E) ms (implementation default)", Min: 1, Max: 1_800_000, Integer: true},
			{Name: "heartbeat_ms", Default: []float64{100}, Provenance: Paper, Doc: "h0: a new leader's heartbeat interval to every follower (implementation default)", Min: 1, Max: 3_600_000, Integer: true},
			{Name: "defaults", Choices: []string{"impl", "readme"}, DefaultChoice: "impl", Provenance: Paper,
				Doc: "impl: s=3, p=0.99, min_samples=100 (flag defaults); readme: s=2, p=0.999, min_samples=10"},
			{Name: "safety_factor", Default: []float64{-1}, Provenance: Paper, Doc: "s; -1 takes it from defaults", Min: -1, Max: 100},
			{Name: "arrival_p", Default: []float64{-1}, Provenance: Paper, Doc: "p, the heartbeat arrival goal; -1 takes it from defaults", Min: -1, Max: 0.999999},
			{Name: "min_samples", Default: []float64{-1}, Provenance: Paper, Doc: "tuning starts with more samples than this; -1 takes it from defaults", Min: -1, Max: 2000, Integer: true},
			{Name: "window", Default: []float64{1000}, Provenance: Paper, Doc: "the most RTTs and ids kept (implementation default)", Min: 1, Max: 2000, Integer: true},
			{Name: "fix_k", Default: []float64{0}, Provenance: Paper, Doc: "0 tunes K from the loss rate; K > 0 fixes it (Fix-K; the paper's used 10, the flag 5)", Min: 0, Max: 1000, Integer: true},
			{Name: "lost_vote_rule", Choices: onOff, DefaultChoice: "off", Provenance: Paper,
				Doc: "after losing a vote, time out in C + U[0, C), C the last successful pre-vote round (implementation only)"},
		},
		New: func(p Params) (policy.Factory, error) {
			d := dynDefaults[p.Choice("defaults")]
			c := &dynConfig{
				electionMS:   int64(p.Scalar("election_ms")),
				heartbeatUS:  int64(msToUS(p.Scalar("heartbeat_ms"))),
				safety:       d.safety,
				arrivalP:     d.arrivalP,
				minSamples:   d.minSamples,
				window:       int(p.Scalar("window")),
				fixK:         int(p.Scalar("fix_k")),
				lostVoteRule: p.Choice("lost_vote_rule") == "on",
			}
			if v := p.Scalar("safety_factor"); v >= 0 {
				c.safety = v
			}
			if v := p.Scalar("arrival_p"); v >= 0 {
				c.arrivalP = v
			}
			if v := p.Scalar("min_samples"); v >= 0 {
				c.minSamples = int(v)
			}
			return func(_ int, rng *rand.Rand) policy.Policy { return newDynatune(c, rng) }, nil
		},
	})
}
