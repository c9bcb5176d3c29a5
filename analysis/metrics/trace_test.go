package metrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/internal/tablefile"
)

// A trace file (testdata/traces/*.trace) is a hand-built run: "@ key value"
// lines give the run's nodes, duration_us and heartbeat_us (and optionally
// analysis options), other lines are events "time_us node kind term peer
// value arm msg_id"; "#" starts a comment. Each *.want file holds the
// answers worked out by hand for one trace and set of options. They are
// never regenerated from the code (there is no -update for them).

type trace struct {
	info   eventlog.RunInfo
	opt    Options
	events []eventlog.Event
}

func setOption(opt *Options, key, val string) error {
	var err error
	switch key {
	case "arm_bin_us":
		opt.ArmBinUS, err = strconv.ParseInt(val, 10, 64)
	case "grace_heartbeats":
		opt.GraceHeartbeats, err = strconv.ParseFloat(val, 64)
	case "warmup":
		opt.Warmup = val
	default:
		err = fmt.Errorf("unknown option %q", key)
	}
	return err
}

func readTrace(t *testing.T, path string) *trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := &trace{info: eventlog.RunInfo{
		RunID: "trace-" + strings.TrimSuffix(filepath.Base(path), ".trace"), Scenario: "handbuilt",
		Policy: "handbuilt", Engine: "fast", SchemaVersion: eventlog.SchemaVersion,
	}}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if fields[0] == "@" {
			if len(fields) != 3 {
				t.Fatalf("%s:%d: want '@ key value'", path, line)
			}
			v, _ := strconv.ParseInt(fields[2], 10, 64)
			switch fields[1] {
			case "nodes":
				tr.info.Nodes = v
			case "duration_us":
				tr.info.DurationUS = v
			case "heartbeat_us":
				tr.info.HeartbeatUS = v
			default:
				if err := setOption(&tr.opt, fields[1], fields[2]); err != nil {
					t.Fatalf("%s:%d: %v", path, line, err)
				}
			}
			continue
		}
		if len(fields) != 8 {
			t.Fatalf("%s:%d: want 8 fields, got %d", path, line, len(fields))
		}
		var n [7]int64
		for i, j := range []int{0, 1, 3, 4, 5, 6, 7} {
			if n[i], err = strconv.ParseInt(fields[j], 10, 64); err != nil {
				t.Fatalf("%s:%d: field %d: %v", path, line, j+1, err)
			}
		}
		k, ok := eventlog.ParseKind(fields[2])
		if !ok {
			t.Fatalf("%s:%d: unknown kind %q", path, line, fields[2])
		}
		tr.events = append(tr.events, eventlog.Event{
			TimeUS: n[0], Node: int16(n[1]), Kind: k, Term: uint64(n[2]), Peer: int16(n[3]),
			Value: n[4], Arm: int8(n[5]), MsgID: uint64(n[6]),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	tr.info.Events = int64(len(tr.events))
	return tr
}

// writeRun writes events as an events file with its ballast.run metadata,
// as harness.Run.WriteParquet does.
func writeRun(t testing.TB, path string, info eventlog.RunInfo, events []eventlog.Event) {
	t.Helper()
	w, err := pq.Create(path, info.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		w.Emit(&events[i])
	}
	info.Events = int64(len(events))
	meta, _ := json.Marshal(info)
	w.SetMetadata(MetaRun, string(meta))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// colValue returns the RunRow field whose col tag is name.
func colValue(r *RunRow, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		if tablefile.ColumnName(v.Type().Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func sameFloat(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func nonNeg(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// The row lines of a run, in the .want file's syntax.
func intervalLines(run *Run) []string {
	var out []string
	for _, iv := range run.Intervals {
		out = append(out, fmt.Sprintf("interval %d %d %t", iv.StartUS, iv.EndUS, iv.Censored))
		if iv.RecoveryUS != iv.EndUS-iv.StartUS {
			out = append(out, fmt.Sprintf("# BAD recovery_us %d", iv.RecoveryUS))
		}
	}
	return out
}

func electionLines(run *Run) []string {
	var out []string
	for _, e := range run.Elections {
		out = append(out, fmt.Sprintf("election %d %d %d %s %d %s %d %d %d %d %s",
			e.Node, e.StartUS, e.EndUS, e.Outcome, e.Term, e.Phase, e.CandUS, e.TTLUS, e.Reached, e.Alive, nonNeg(e.Cause)))
	}
	return out
}

func failoverLines(run *Run) []string {
	var out []string
	for _, f := range run.Failovers {
		out = append(out, fmt.Sprintf("failover %d %d %d %d %d %d %d %t %t %t",
			f.Leader, f.Term, f.CrashUS, f.DetectFirstUS, f.DetectQuorumUS, f.ElectionUS, f.OutOfServiceUS, f.Detected, f.QuorumDetected, f.Recovered))
	}
	return out
}

func safetyLines(run *Run) []string {
	var out []string
	for _, s := range run.Safety {
		out = append(out, fmt.Sprintf("safety %d %d %d %t", s.Node, s.StartUS, s.EndUS, s.Censored))
		if s.DurationUS != s.EndUS-s.StartUS {
			out = append(out, fmt.Sprintf("# BAD duration_us %d", s.DurationUS))
		}
	}
	return out
}

func armLines(run *Run) []string {
	var out []string
	for _, a := range run.Arms {
		out = append(out, fmt.Sprintf("arm %d %d %d", a.BinUS, a.Arm, a.Decisions))
	}
	return out
}

// TestHandBuiltTraces derives every metric of the hand-built traces
// through an events file and compares with the hand-computed answers:
// every listed per-run value, and the complete lists of intervals,
// elections, failovers, safety episodes and arm bins.
func TestHandBuiltTraces(t *testing.T) {
	wants, _ := filepath.Glob("testdata/traces/*.want")
	if len(wants) == 0 {
		t.Fatal("no testdata/traces/*.want files")
	}
	for _, wantPath := range wants {
		t.Run(strings.TrimSuffix(filepath.Base(wantPath), ".want"), func(t *testing.T) {
			data, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			var (
				tr       *trace
				runVals  [][2]string
				rowLines = map[string][]string{}
				extraOpt [][2]string
			)
			for i, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				f := strings.Fields(line)
				switch {
				case f[0] == "@" && f[1] == "trace":
					tr = readTrace(t, filepath.Join("testdata/traces", f[2]))
				case f[0] == "@" && f[1] == "option":
					extraOpt = append(extraOpt, [2]string{f[2], f[3]})
				case f[0] == "run":
					runVals = append(runVals, [2]string{f[1], f[2]})
				default:
					rowLines[f[0]] = append(rowLines[f[0]], line)
				}
				_ = i
			}
			if tr == nil {
				t.Fatal("no '@ trace' line")
			}
			for _, o := range extraOpt {
				if err := setOption(&tr.opt, o[0], o[1]); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), "run.parquet")
			writeRun(t, path, tr.info, tr.events)
			run, err := AnalyzeFile(path, Spec{Options: tr.opt})
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range runVals {
				fv, ok := colValue(&run.Row, kv[0])
				if !ok {
					t.Errorf("no run column %q", kv[0])
					continue
				}
				switch fv.Kind() {
				case reflect.Int64:
					want, _ := strconv.ParseInt(kv[1], 10, 64)
					if fv.Int() != want {
						t.Errorf("%s = %d, want %s", kv[0], fv.Int(), kv[1])
					}
				case reflect.Float64:
					want, _ := strconv.ParseFloat(kv[1], 64)
					if !sameFloat(fv.Float(), want) {
						t.Errorf("%s = %v, want %s", kv[0], fv.Float(), kv[1])
					}
				case reflect.Bool:
					if got := strconv.FormatBool(fv.Bool()); got != kv[1] {
						t.Errorf("%s = %s, want %s", kv[0], got, kv[1])
					}
				default:
					if fv.String() != kv[1] {
						t.Errorf("%s = %q, want %q", kv[0], fv.String(), kv[1])
					}
				}
			}
			for kind, got := range map[string][]string{
				"interval": intervalLines(run), "election": electionLines(run), "failover": failoverLines(run),
				"safety": safetyLines(run), "arm": armLines(run),
			} {
				want := rowLines[kind]
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s rows:\n got:\n  %s\nwant:\n  %s", kind, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			}
			if run.Row.Events != int64(len(tr.events)) {
				t.Errorf("events = %d, want %d", run.Row.Events, len(tr.events))
			}
		})
	}
}
