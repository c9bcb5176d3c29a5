package measured

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestReadTrace: a trace is read step-wise, holds its last row or loops
// with its last row's time as the period, and every malformed file is
// refused with one line naming the file, the line and what is allowed.
func TestReadTrace(t *testing.T) {
	tr, err := ReadTrace("t.csv", []byte("# a comment\nt_s,delay_ms,loss\n0,10,0\n0.5,40,0.1\n1,10,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tUS    int64
		repeat bool
		delay  float64
		loss   float64
	}{
		{0, false, 10, 0}, {499_999, false, 10, 0}, {500_000, false, 40, 0.1}, {999_999, false, 40, 0.1},
		{1_000_000, false, 10, 0}, {7_000_000, false, 10, 0},
		{1_500_000, true, 40, 0.1}, {2_200_000, true, 10, 0}, {1_000_000, true, 10, 0},
	} {
		p := tr.At(c.tUS, c.repeat)
		if p.DelayMS != c.delay || p.Loss != c.loss {
			t.Errorf("At(%d µs, repeat %v) = %v ms, loss %v; want %v, %v", c.tUS, c.repeat, p.DelayMS, p.Loss, c.delay, c.loss)
		}
	}
	for _, c := range []struct{ data, want string }{
		{"0,10\n", `t.csv:1: header "0,10"; allowed: t_s,delay_ms or t_s,delay_ms,loss`},
		{"t_s,delay_ms\n", "t.csv:1: no rows"},
		{"t_s,delay_ms\n1,10\n", "t.csv:2: the first row is at t_s 1; allowed: 0"},
		{"t_s,delay_ms\n0,10\n2,20\n1,30\n", "t.csv:4: t_s 1 is not after the row before (2); allowed: strictly increasing times"},
		{"t_s,delay_ms\n0,10\n1,-3\n", `t.csv:3: delay_ms "-3" is not allowed; allowed: a number in [0, 3.6e+06]`},
		{"t_s,delay_ms,loss\n0,10,1.5\n", `t.csv:2: loss "1.5" is not allowed; allowed: a number in [0, 1]`},
		{"t_s,delay_ms\n0,10,0\n", "t.csv:2: 3 columns; allowed: 2, as the header says"},
		{"t_s,delay_ms\n0,abc\n", `t.csv:2: delay_ms "abc" is not allowed`},
	} {
		_, err := ReadTrace("t.csv", []byte(c.data))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v; want one line starting %q", c.data, err, c.want)
		}
	}
}

// TestReadSamples: one delay per line, comments allowed; malformed files
// refused naming the line.
func TestReadSamples(t *testing.T) {
	got, err := ReadSamples("s.txt", []byte("# one-way ms\n1.5\n\n2\n40\n"))
	if err != nil || !slices.Equal(got, []float64{1.5, 2, 40}) {
		t.Fatalf("samples %v, %v", got, err)
	}
	for _, c := range []struct{ data, want string }{
		{"", "s.txt:1: no samples"},
		{"1\nx\n", `s.txt:2: delay_ms "x" is not allowed`},
		{"1\n-1\n", `s.txt:2: delay_ms "-1" is not allowed`},
	} {
		if _, err := ReadSamples("s.txt", []byte(c.data)); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v; want %q", c.data, err, c.want)
		}
	}
}

// TestImporters converts the files in testdata by hand-checked rules:
//
//   - ping.log: replies at +0, +1.0001, +3.0000 and +4.0009 s (seq 1, 2, 4,
//     5; seq 3 lost), one-way delays 10.2, 11, 40, 10.6 ms; loss over the
//     sequence numbers seen so far in a window of 20: 0, 0, 1/4, 1/5.
//   - rtt.csv: t from the first row (0, 1, 2.5 s), delays halved (15,
//     15.75, 45 ms), no loss column.
//   - etcd_metrics.txt: peers a1 and b2 summed, cumulative 0, 2, 5, 6:
//     (0.1, 0.2] ms of round trip holds 2, (0.2, 0.4] ms holds 3, +Inf 1
//     (put at 0.4 ms). Spread evenly in each bucket, lo + (hi - lo)(i +
//     1/2)/count, and halved: 0.0625, 0.0875; 0.1167, 0.15, 0.1833; 0.2 ms.
func TestImporters(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var buf bytes.Buffer
	tr, err := FromPing("ping.log", read("ping.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteTrace(&buf, tr, []string{"from ping"}); err != nil {
		t.Fatal(err)
	}
	want := "# from ping\nt_s,delay_ms,loss\n0,10.2,0.0000\n1.0001,11,0.0000\n3,40,0.2500\n4.0009,10.6,0.2000\n"
	if buf.String() != want {
		t.Errorf("ping:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	tr, err = FromRTTCSV("rtt.csv", read("rtt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_ = WriteTrace(&buf, tr, nil)
	if want := "t_s,delay_ms\n0,15\n1,15.75\n2.5,45\n"; buf.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", buf.String(), want)
	}
	samples, err := FromPrometheus("etcd_metrics.txt", read("etcd_metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want6 := []float64{0.0625, 0.0875, 0.1167, 0.15, 0.1833, 0.2}
	if len(samples) != len(want6) {
		t.Fatalf("prometheus: samples %v; want %v", samples, want6)
	}
	for i := range samples {
		if d := samples[i] - want6[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("prometheus: samples %v; want %v", samples, want6)
		}
	}
	// Every trace an importer writes reads back as it was.
	buf.Reset()
	tr, _ = FromPing("ping.log", read("ping.log"))
	_ = WriteTrace(&buf, tr, []string{"x"})
	back, err := ReadTrace("back.csv", buf.Bytes())
	if err != nil || len(back.Points) != 4 || back.Points[2].DelayMS != 40 {
		t.Errorf("round trip: %v, %v", back, err)
	}
}
