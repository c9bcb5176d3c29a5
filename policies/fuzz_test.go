package policies_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
)

// bytesReader hands out values from fuzz input, zero when it runs out.
type bytesReader struct{ b []byte }

func (r *bytesReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *bytesReader) int64() int64 {
	var buf [8]byte
	n := copy(buf[:], r.b)
	r.b = r.b[n:]
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

// interesting maps a selector byte and a raw value to the kind of number
// that breaks careless arithmetic: zero, negatives, huge values, values
// near overflow, tiny and raw bit patterns (NaN and infinities included).
func interesting(sel byte, raw int64) float64 {
	switch sel % 8 {
	case 0:
		return 0
	case 1:
		return -float64(raw & 0xffffff)
	case 2:
		return float64(raw)
	case 3:
		return math.MaxInt64
	case 4:
		return 1e300
	case 5:
		return math.Float64frombits(uint64(raw)) // NaN, Inf, subnormals
	case 6:
		return float64(raw & 0xfffff) // a plausible µs value
	}
	return 1e-300
}

func interestingInt(sel byte, raw int64) int64 {
	switch sel % 6 {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return raw
	case 3:
		return math.MaxInt64
	case 4:
		return math.MinInt64
	}
	return raw & 0xfffff
}

// checkDeadline fails unless d is a deadline the engine accepts and the
// package bounds allow.
func checkDeadline(t *testing.T, name string, d policy.Decision) {
	t.Helper()
	if d.DeadlineUS < policies.MinDeadlineUS || d.DeadlineUS > policies.MaxDeadlineUS {
		t.Fatalf("%s: deadline %d µs outside [%d, %d]", name, d.DeadlineUS, policies.MinDeadlineUS, policies.MaxDeadlineUS)
	}
}

// drive feeds one policy a script of engine calls decoded from data.
func drive(t *testing.T, name string, seed uint64, data []byte) {
	f := factory(t, name)
	p := f(int(seed%7), rand.New(rand.NewPCG(seed, 3)))
	hbo, _ := p.(policy.HeartbeatObserver)
	tuner, _ := p.(policy.HeartbeatTuner)
	rs, _ := p.(policy.Restarter)
	r := &bytesReader{data}
	now := int64(0)
	for len(r.b) > 0 {
		op := r.byte()
		now += interestingInt(r.byte(), r.int64()) & 0xffffffff // time never goes back
		switch op % 6 {
		case 0, 1: // a timer reset with extreme observations
			s := r.byte()
			o := policy.Observation{
				NowUS: now, Node: int(r.byte()), Role: policy.Role(r.byte() % 4), Term: uint64(r.int64()),
				SinceHeartbeatUS:    interestingInt(s, r.int64()),
				InterArrivalCount:   int(interestingInt(s>>1, r.int64())),
				InterArrivalMeanUS:  interesting(s>>2, r.int64()),
				InterArrivalStdUS:   interesting(s>>3, r.int64()),
				DelayCount:          int(interestingInt(s>>4, r.int64())),
				DelayMeanUS:         interesting(s>>5, r.int64()),
				DelayStdUS:          interesting(s>>6, r.int64()),
				LastDelayUS:         interestingInt(s>>7, r.int64()),
				LastRTTUS:           interestingInt(r.byte(), r.int64()),
				ConsecutiveFailures: int(interestingInt(r.byte(), r.int64())),
				HeartbeatUS:         interestingInt(r.byte(), r.int64()),
				RegimeID:            int(interestingInt(r.byte(), r.int64())),
			}
			checkDeadline(t, name, p.Deadline(&o))
		case 2:
			p.ElectionDone(policy.ElectionResult{NowUS: now, Outcome: policy.Outcome(1 + r.byte()%3), LatencyUS: interestingInt(r.byte(), r.int64())})
		case 3:
			if hbo != nil {
				s := r.byte()
				hbo.OnHeartbeat(&policy.Heartbeat{NowUS: now, SentUS: interestingInt(s, r.int64()), Seq: uint64(r.int64()),
					LeaderRTTUS: interestingInt(s>>2, r.int64()), Value: interestingInt(s>>4, r.int64()), Leader: int(r.byte() % 5), Term: uint64(r.byte() % 4)})
			}
		case 4:
			if rs != nil {
				rs.Restarted()
			}
		case 5:
			if tuner != nil {
				for _, v := range []int64{tuner.ReplyValue(), tuner.HeartbeatValue(int(r.byte() % 5))} {
					if v < -1 {
						t.Fatalf("%s: piggyback %d", name, v)
					}
				}
				if iv := tuner.BecameLeader(now); iv < 0 {
					t.Fatalf("%s: BecameLeader interval %d", name, iv)
				}
				if iv := tuner.FollowerReply(int(r.byte()%5), interestingInt(r.byte(), r.int64()), interestingInt(r.byte(), r.int64())); iv < 0 {
					t.Fatalf("%s: FollowerReply interval %d", name, iv)
				}
			}
		}
	}
	// Whatever happened, the next reset is still valid.
	checkDeadline(t, name, p.Deadline(&policy.Observation{NowUS: now, SinceHeartbeatUS: -1}))
}

// FuzzPolicyDeadlines feeds every policy extreme observations, outcomes,
// heartbeats and restarts, and checks that no zero, negative, NaN-derived
// or unbounded deadline ever reaches the simulator.
//
//	go test -run '^$' -fuzz FuzzPolicyDeadlines -fuzztime 60s ./policies
func FuzzPolicyDeadlines(f *testing.F) {
	f.Add(uint8(0), uint64(1), []byte{})
	f.Add(uint8(11), uint64(2), []byte{0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add(uint8(12), uint64(3), []byte{3, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 5, 0xff, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint8(10), uint64(4), []byte{2, 0, 1, 2, 5, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 2, 2, 2, 2, 2, 2})
	f.Add(uint8(13), uint64(5), []byte{1, 5, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0x55, 4, 4, 4, 4, 4, 4, 4, 4})
	f.Fuzz(func(t *testing.T, which uint8, seed uint64, data []byte) {
		drive(t, roster[int(which)%len(roster)], seed, data)
	})
}

// TestIsolatedNodeBoundedDeadlines: a node that never hears a heartbeat
// and whose every campaign times out (cut off from the cluster) keeps
// getting positive deadlines of at most 10 s from every policy with its
// defaults, for thousands of resets.
func TestIsolatedNodeBoundedDeadlines(t *testing.T) {
	for _, name := range roster {
		p := factory(t, name)(0, rand.New(rand.NewPCG(1, 1)))
		now, fails := int64(0), 0
		worst := int64(0)
		for i := 0; i < 5000; i++ {
			role := policy.Candidate
			if i == 0 {
				role = policy.Follower
			}
			d := p.Deadline(&policy.Observation{NowUS: now, Role: role, Term: uint64(i), SinceHeartbeatUS: -1,
				ConsecutiveFailures: fails, HeartbeatUS: 50_000, LastRTTUS: -1})
			checkDeadline(t, name, d)
			worst = max(worst, d.DeadlineUS)
			now += d.DeadlineUS
			p.ElectionDone(policy.ElectionResult{NowUS: now, Outcome: policy.TimedOut, LatencyUS: d.DeadlineUS})
			fails++
		}
		if worst > 10_000_000 {
			t.Errorf("%s: an isolated node's deadline grew to %d µs", name, worst)
		}
	}
}
