// Package stream derives independent, reproducible random streams from one
// run seed.
//
// A run draws randomness for several purposes: the injected scenario
// timeline, each directed link's loss and delay, each node's policy, each
// node's processing delay, each node's processing pauses. Each purpose gets its own stream, derived from the
// seed and a label, so that drawing more numbers for one purpose (say, a
// policy that resets its timer more often) never shifts the numbers another
// purpose sees. That is what lets every policy face exactly the same injected
// faults for a given seed.
//
// Derivation (documented in docs/schema.md, stable across versions): the two
// 64-bit PCG seeds are
//
//	h  = fnv1a64(label)
//	s1 = mix(seed ^ mix(h))          s2 = mix(s1 ^ 0x9e3779b97f4a7c15)
//
// then, for each integer id in order, s1 = mix(s1 ^ mix(id+1)) and
// s2 = mix(s2 ^ s1), where mix is the SplitMix64 finaliser.
package stream

import "math/rand/v2"

// Labels of the purposes the simulator draws for.
const (
	Timeline    = "timeline"
	Link        = "link"         // ids: from, to
	Policy      = "policy"       // ids: node (and a live node's restart count, after its first start)
	Processing  = "processing"   // ids: node
	Pause       = "pause"        // ids: node
	TimerJitter = "timer_jitter" // ids: node
	Fsync       = "fsync"        // ids: node
	Lagging     = "lagging"      // ids: crash occurrence
)

// New returns a PCG-backed generator for (seed, label, ids...).
func New(seed uint64, label string, ids ...int) *rand.Rand {
	s1, s2 := Seeds(seed, label, ids...)
	return rand.New(rand.NewPCG(s1, s2))
}

// Seeds returns the two PCG seeds New uses.
func Seeds(seed uint64, label string, ids ...int) (uint64, uint64) {
	h := fnv1a(label)
	s1 := mix(seed ^ mix(h))
	s2 := mix(s1 ^ 0x9e3779b97f4a7c15)
	for _, id := range ids {
		s1 = mix(s1 ^ mix(uint64(id)+1))
		s2 = mix(s2 ^ s1)
	}
	return s1, s2
}

// Hash64 hashes a label and integers the same way; seed-set derivation and
// shard assignment reuse it so there is one documented hash in the project.
func Hash64(seed uint64, label string, ids ...int) uint64 {
	s1, _ := Seeds(seed, label, ids...)
	return s1
}

func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is the SplitMix64 finaliser (Steele, Lea, Flood 2014).
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
