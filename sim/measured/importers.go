package measured

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// LossWindow is the number of ping sequence numbers over which FromPing
// estimates loss (ours).
const LossWindow = 20

var (
	pingStamp = regexp.MustCompile(`^\[(\d+(?:\.\d+)?)\]`)
	pingSeq   = regexp.MustCompile(`icmp_seq=(\d+)`)
	pingTime  = regexp.MustCompile(`time=([0-9.]+) ms`)
)

// FromPing reads a `ping -D` log (each line stamped "[unix seconds]") and
// returns a trace with a row per reply: t_s since the first reply, half
// its round trip as the one-way delay, and the loss over the last
// LossWindow sequence numbers (a sequence number without a reply line is
// lost; `ping -O` lines "no answer yet" count as lost too).
func FromPing(name string, data []byte) (*Trace, error) {
	t := &Trace{HasLoss: true}
	got := map[int]bool{}
	first := math.NaN()
	firstSeq := -1
	err := lines(name, data, func(n int, line string) error {
		st, sq, tm := pingStamp.FindStringSubmatch(line), pingSeq.FindStringSubmatch(line), pingTime.FindStringSubmatch(line)
		if st == nil || sq == nil || tm == nil {
			return nil // a header, a summary, or a lost probe's line
		}
		ts, _ := strconv.ParseFloat(st[1], 64)
		seq, _ := strconv.Atoi(sq[1])
		rtt, err := strconv.ParseFloat(tm[1], 64)
		if err != nil || rtt < 0 || rtt/2 > maxDelayMS {
			return &LineError{name, n, fmt.Sprintf("time=%q is not a round trip in ms", tm[1])}
		}
		if math.IsNaN(first) {
			first, firstSeq = ts, seq
		}
		if len(t.Points) == MaxRows {
			return &LineError{name, n, fmt.Sprintf("more than %d replies; allowed: at most %d", MaxRows, MaxRows)}
		}
		got[seq] = true
		tus := int64(math.Round((ts - first) * 1e6))
		if k := len(t.Points); k > 0 && tus <= t.Points[k-1].TUS {
			return nil // a duplicate or reordered reply: the earlier row stands
		}
		lo := max(seq-LossWindow+1, firstSeq)
		recv := 0
		for s := lo; s <= seq; s++ {
			if got[s] {
				recv++
			}
		}
		t.Points = append(t.Points, Point{TUS: tus, DelayMS: rtt / 2, Loss: 1 - float64(recv)/float64(seq-lo+1)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.Points) == 0 {
		return nil, &LineError{name, 1, "no reply lines; allowed: the output of ping -D (lines \"[seconds] ... icmp_seq=N ... time=X ms\")"}
	}
	return t, nil
}

// FromRTTCSV reads a CSV with the header "t_s,rtt_ms" and returns a trace
// of half of each round trip, from the first row's time.
func FromRTTCSV(name string, data []byte) (*Trace, error) {
	t := &Trace{}
	header := false
	first := 0.0
	err := lines(name, data, func(n int, line string) error {
		if !header {
			if strings.ReplaceAll(line, " ", "") != "t_s,rtt_ms" {
				return &LineError{name, n, fmt.Sprintf("header %q; allowed: t_s,rtt_ms", line)}
			}
			header = true
			return nil
		}
		cols := strings.Split(line, ",")
		if len(cols) != 2 {
			return &LineError{name, n, fmt.Sprintf("%d columns; allowed: 2 (t_s,rtt_ms)", len(cols))}
		}
		ts, err := number(name, n, "t_s", cols[0], 0, math.MaxFloat64)
		if err != nil {
			return err
		}
		rtt, err := number(name, n, "rtt_ms", cols[1], 0, 2*maxDelayMS)
		if err != nil {
			return err
		}
		if len(t.Points) == 0 {
			first = ts
		}
		if len(t.Points) == MaxRows {
			return &LineError{name, n, fmt.Sprintf("more than %d rows; allowed: at most %d", MaxRows, MaxRows)}
		}
		tus := int64(math.Round((ts - first) * 1e6))
		if tus > maxTimeS*1e6 {
			return &LineError{name, n, fmt.Sprintf("t_s %v is more than %d s after the first row; allowed: a trace of at most a run's longest duration", ts, maxTimeS)}
		}
		if k := len(t.Points); k > 0 && tus <= t.Points[k-1].TUS {
			return &LineError{name, n, fmt.Sprintf("t_s %v is not after the row before; allowed: strictly increasing times", ts)}
		}
		t.Points = append(t.Points, Point{TUS: tus, DelayMS: rtt / 2, Loss: -1})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.Points) == 0 {
		return nil, &LineError{name, 1, "no rows; allowed: a header t_s,rtt_ms, then rows"}
	}
	return t, nil
}

// PeerRTTMetric is etcd's round-trip histogram between members.
const PeerRTTMetric = "etcd_network_peer_round_trip_time_seconds"

var promBucket = regexp.MustCompile(`^` + PeerRTTMetric + `_bucket\{([^}]*)\}\s+([0-9.eE+-]+)`)
var promLE = regexp.MustCompile(`le="([^"]+)"`)

// FromPrometheus reads a Prometheus text dump and returns one-way delay
// samples (ms) from etcd's peer round-trip histogram, all peers together:
// each finite bucket's count becomes that many samples spread evenly over
// the bucket (lo, hi] (at lo + (hi - lo)(i + 1/2)/count), halved; the
// +Inf bucket's count goes to its lower bound. At most MaxRows samples:
// larger counts are scaled down in proportion.
func FromPrometheus(name string, data []byte) ([]float64, error) {
	cum := map[float64]float64{}
	err := lines(name, data, func(n int, line string) error {
		m := promBucket.FindStringSubmatch(line)
		if m == nil {
			return nil
		}
		le := promLE.FindStringSubmatch(m[1])
		if le == nil {
			return &LineError{name, n, "a bucket without le; allowed: the Prometheus text format"}
		}
		bound := math.Inf(1)
		if le[1] != "+Inf" {
			b, err := strconv.ParseFloat(le[1], 64)
			if err != nil || b < 0 {
				return &LineError{name, n, fmt.Sprintf("le=%q is not a bucket bound", le[1])}
			}
			bound = b
		}
		c, err := strconv.ParseFloat(m[2], 64)
		if err != nil || c < 0 || math.IsInf(c, 0) {
			return &LineError{name, n, fmt.Sprintf("count %q is not allowed; allowed: a number >= 0", m[2])}
		}
		cum[bound] += c
		return nil
	})
	if err != nil {
		return nil, err
	}
	bounds := make([]float64, 0, len(cum))
	for b := range cum {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	counts := make([]float64, len(bounds))
	total, prev := 0.0, 0.0
	for i, b := range bounds {
		c := cum[b] - prev
		if c < 0 {
			return nil, &LineError{name, 0, fmt.Sprintf("bucket le=%v holds fewer observations than the one below; allowed: cumulative counts", b)}
		}
		counts[i], prev = c, cum[b]
		total += c
	}
	if total == 0 {
		return nil, &LineError{name, 1, "no observations in " + PeerRTTMetric + "_bucket; allowed: a Prometheus text dump of etcd's metrics"}
	}
	scale := min(1, MaxRows/total)
	var out []float64
	lo := 0.0
	for i, b := range bounds {
		c := int(math.Round(counts[i] * scale))
		hi := b
		if math.IsInf(b, 1) {
			hi = lo
		}
		for k := range c {
			s := lo + (hi-lo)*(float64(k)+0.5)/float64(c)
			out = append(out, s/2*1000)
		}
		lo = b
	}
	return out, nil
}

// WriteTrace writes t in the trace format, notes first as comments.
func WriteTrace(w io.Writer, t *Trace, notes []string) error {
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	if t.HasLoss {
		b.WriteString("t_s,delay_ms,loss\n")
	} else {
		b.WriteString("t_s,delay_ms\n")
	}
	for _, p := range t.Points {
		b.WriteString(strconv.FormatFloat(float64(p.TUS)/1e6, 'f', -1, 64))
		b.WriteByte(',')
		b.WriteString(ms(p.DelayMS))
		if t.HasLoss {
			b.WriteByte(',')
			b.WriteString(strconv.FormatFloat(p.Loss, 'f', 4, 64))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSamples writes samples in the samples format, notes first.
func WriteSamples(w io.Writer, samples []float64, notes []string) error {
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	for _, s := range samples {
		b.WriteString(ms(s))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ms formats a delay to 0.1 µs: finer than the simulator's µs, without
// the binary noise of halving a decimal.
func ms(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}
