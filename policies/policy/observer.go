package policy

import "math"

// HeartbeatWindow is how many recent heartbeats the engine-side statistics
// in Observation cover (ours: one second at the 50 ms base interval).
const HeartbeatWindow = 20

// Observer keeps a node's heartbeat statistics for Observation. Both
// engines use it, so policies see the same signals on either. It allocates
// nothing after construction.
type Observer struct {
	lastHeartbeatUS int64 // -1 until one arrives
	lastRTTUS       int64
	lastDelayUS     int64
	interArrival    Window
	delay           Window
}

// NewObserver returns an Observer that has seen nothing.
func NewObserver() Observer {
	return Observer{lastHeartbeatUS: -1, lastRTTUS: -1}
}

// Heartbeat records a heartbeat received at nowUS that was sent at sentUS,
// carrying the leader's last RTT measurement (-1 if none).
func (o *Observer) Heartbeat(nowUS, sentUS, rttUS int64) {
	if o.lastHeartbeatUS >= 0 {
		o.interArrival.Add(nowUS - o.lastHeartbeatUS)
	}
	o.lastHeartbeatUS = nowUS
	o.lastDelayUS = nowUS - sentUS
	o.delay.Add(o.lastDelayUS)
	if rttUS >= 0 {
		o.lastRTTUS = rttUS
	}
}

// Restarted forgets the time of the last heartbeat, so the downtime of a
// crash is not counted as an inter-arrival; the windows survive, as policy
// state does (BALLAST paper section 5).
func (o *Observer) Restarted() { o.lastHeartbeatUS = -1 }

// Fill writes the heartbeat fields of obs.
func (o *Observer) Fill(obs *Observation) {
	if o.lastHeartbeatUS >= 0 {
		obs.SinceHeartbeatUS = obs.NowUS - o.lastHeartbeatUS
	} else {
		obs.SinceHeartbeatUS = -1
	}
	obs.InterArrivalCount, obs.InterArrivalMeanUS, obs.InterArrivalStdUS = o.interArrival.Stats()
	obs.DelayCount, obs.DelayMeanUS, obs.DelayStdUS = o.delay.Stats()
	obs.LastDelayUS = o.lastDelayUS
	obs.LastRTTUS = o.lastRTTUS
}

// Window is a fixed ring of the last HeartbeatWindow samples with exact
// integer running sums, so mean and std never drift.
type Window struct {
	buf        [HeartbeatWindow]int64
	n, next    int
	sum, sumSq int64
}

// MaxSampleUS bounds a sample (ten minutes) so the exact int64 sum of
// squares of a full Window cannot overflow.
const MaxSampleUS = 600_000_000

// Add records one sample, clamped to ±MaxSampleUS.
func (w *Window) Add(x int64) {
	x = min(max(x, -MaxSampleUS), MaxSampleUS)
	if w.n == HeartbeatWindow {
		old := w.buf[w.next]
		w.sum -= old
		w.sumSq -= old * old
	} else {
		w.n++
	}
	w.buf[w.next] = x
	w.sum += x
	w.sumSq += x * x
	w.next = (w.next + 1) % HeartbeatWindow
}

// Stats returns count, mean and population standard deviation.
func (w *Window) Stats() (int, float64, float64) {
	if w.n == 0 {
		return 0, 0, 0
	}
	n := float64(w.n)
	mean := float64(w.sum) / n
	v := (float64(w.sumSq) - float64(w.sum)*mean) / n
	if v < 0 {
		v = 0
	}
	return w.n, mean, math.Sqrt(v)
}
