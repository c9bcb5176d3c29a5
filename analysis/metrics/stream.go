package metrics

import (
	"bytes"
	"encoding/gob"
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
)

// Consumer is another reader of a run's events, fed in the same pass as
// the metrics, so that each run's events are read once for every analysis
// (the Dynatune traces of reproduce/trace are one).
type Consumer interface {
	Add(ev *eventlog.Event) error
	// Result is what the consumer derived, encoded, once every event has
	// been added: it becomes Run.Also, and is stored with the run's
	// analysis when a sweep keeps it (harness).
	Result() ([]byte, error)
}

// Also is an extra consumer of every run's events.
type Also struct {
	// Name identifies the consumer and its parameters (say "trace bin
	// 1000000 us"): a stored analysis made with another name is out of
	// date.
	Name string
	New  func(info eventlog.RunInfo) (Consumer, error)
}

// Spec is how runs are analysed: the metrics' options and an optional
// extra consumer.
type Spec struct {
	Options Options
	Also    *Also // nil: none
}

// Key identifies the spec, defaults filled in, so that a stored analysis
// can be matched with the spec asked for (two specs with the same key give
// the same analysis of the same events).
func (s Spec) Key() (string, error) {
	o, err := s.Options.Check()
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("metrics v%d: grace %g heartbeats, warmup %s, arm bin %d us", SchemaVersion, o.GraceHeartbeats, o.Warmup, o.ArmBinUS)
	if s.Also != nil {
		key += "; also " + s.Also.Name
	}
	return key, nil
}

// Stream analyses one run's events as they arrive: it is the
// eventlog.Sink a simulation can write to directly, so that a run is
// analysed without its events ever being stored or read back; AnalyzeFile
// feeds it from a file. Finish returns the run's analysis.
type Stream struct {
	d     *Deriver
	extra Consumer
	err   error // the first error; later events are ignored
}

// NewStream prepares the analysis of the run described by info.
func NewStream(info eventlog.RunInfo, spec Spec) (*Stream, error) {
	d, err := NewDeriver(info, spec.Options)
	if err != nil {
		return nil, err
	}
	s := &Stream{d: d}
	if spec.Also != nil {
		if s.extra, err = spec.Also.New(info); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Emit implements eventlog.Sink. It has no error result: the first error
// is kept and returned by Finish, and later events are ignored.
func (s *Stream) Emit(ev *eventlog.Event) {
	if s.err == nil {
		s.err = s.Add(ev)
	}
}

// Add feeds the next event to the metrics and the extra consumer.
func (s *Stream) Add(ev *eventlog.Event) error {
	if err := s.d.Add(ev); err != nil {
		return err
	}
	if s.extra != nil {
		return s.extra.Add(ev)
	}
	return nil
}

// Finish returns the run's analysis, or the first error of the pass.
func (s *Stream) Finish() (*Run, error) {
	if s.err != nil {
		return nil, s.err
	}
	run, err := s.d.Finish()
	if err != nil {
		return nil, err
	}
	if s.extra != nil {
		if run.Also, err = s.extra.Result(); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// Encode is the stored form of a run's analysis (gob; it is a cache, not
// an interchange format: a run whose stored analysis is unreadable or out
// of date is analysed again). Equal runs encode to equal bytes.
func (r *Run) Encode() ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeRun reads a run's analysis stored by Encode.
func DecodeRun(data []byte) (*Run, error) {
	r := &Run{}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(r); err != nil {
		return nil, fmt.Errorf("not a stored run analysis: %w", err)
	}
	return r, nil
}
