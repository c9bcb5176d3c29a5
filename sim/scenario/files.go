package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/measured"
)

// readFiles reads every file the scenario names (each link layer's trace,
// each empirical distribution's samples) that is not read yet, and pins
// its content hash; a file that is missing or malformed is one error
// naming the field, the file and its line.
func (s *Scenario) readFiles() *configfile.FieldError {
	var fe *configfile.FieldError
	s.eachLink(func(path string, l *Link) bool {
		if l.Trace == "" || l.Measured != nil {
			return true
		}
		data, err := s.read(l.Trace)
		if err != nil {
			fe = configfile.Errorf(path+".trace", "%v; allowed: a trace file (t_s,delay_ms[,loss]; docs/scenarios.md) named relative to the scenario file", err)
			return false
		}
		if l.Measured, err = measured.ReadTrace(l.Trace, data); err != nil {
			fe = configfile.Errorf(path+".trace", "%v", err)
			return false
		}
		l.TraceSHA = measured.Hash(data)
		return true
	})
	if fe != nil {
		return fe
	}
	s.eachDist(func(path string, d *dist.Spec) bool {
		if d.Dist != "empirical" || d.File == "" || d.Samples != nil {
			return true
		}
		data, err := s.read(d.File)
		if err != nil {
			fe = configfile.Errorf(path+".file", "%v; allowed: a samples file (one delay in ms per line) named relative to the scenario file", err)
			return false
		}
		if d.Samples, err = measured.ReadSamples(d.File, data); err != nil {
			fe = configfile.Errorf(path+".file", "%v", err)
			return false
		}
		d.SHA = measured.Hash(data)
		return true
	})
	return fe
}

func (s *Scenario) read(name string) ([]byte, error) {
	if s.readFile == nil {
		return nil, fmt.Errorf("%s: this scenario was not loaded from a file, so it cannot name one", name)
	}
	if filepath.IsAbs(name) || path.IsAbs(name) {
		return nil, fmt.Errorf("%s is an absolute path (a scenario and its files move together)", name)
	}
	data, err := s.readFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist", name)
	}
	return data, err
}

// eachLink calls f with every link layer of the network and its path,
// until f returns false.
func (s *Scenario) eachLink(f func(path string, l *Link) bool) {
	n := &s.Network
	if !f("network.default", &n.Default) {
		return
	}
	for i := range n.RegionPairs {
		if !f(fmt.Sprintf("network.region_pairs[%d]", i), &n.RegionPairs[i].Link) {
			return
		}
	}
	for i := range n.Links {
		if !f(fmt.Sprintf("network.links[%d]", i), &n.Links[i].Link) {
			return
		}
	}
	for i := range n.Regimes {
		if !f(fmt.Sprintf("network.regimes[%d]", i), &n.Regimes[i].Link) {
			return
		}
	}
}

// eachDist calls f with every delay distribution of the scenario and its
// path (mixture components included), until f returns false.
func (s *Scenario) eachDist(f func(path string, d *dist.Spec) bool) {
	var visit func(path string, d *dist.Spec) bool
	visit = func(path string, d *dist.Spec) bool {
		if d == nil {
			return true
		}
		if !f(path, d) {
			return false
		}
		for i := range d.Components {
			if !visit(fmt.Sprintf("%s.components[%d]", path, i), &d.Components[i].Spec) {
				return false
			}
		}
		return true
	}
	ok := true
	s.eachLink(func(path string, l *Link) bool {
		ok = visit(path+".jitter", l.Jitter)
		return ok
	})
	if !ok {
		return
	}
	if b := s.Network.Bursts; b != nil && !visit("network.bursts.extra_delay", b.ExtraDelay) {
		return
	}
	for i := range s.Processing {
		if !visit(fmt.Sprintf("processing[%d].delay", i), &s.Processing[i].Delay) {
			return
		}
	}
	for i := range s.Pauses {
		p := &s.Pauses[i]
		if !visit(fmt.Sprintf("pauses[%d].gap", i), p.Gap) || !visit(fmt.Sprintf("pauses[%d].duration", i), p.Duration) {
			return
		}
	}
	for i := range s.Partitions {
		if t := s.Partitions[i].Turbulence; t != nil && !visit(fmt.Sprintf("partitions[%d].turbulence.extra_delay", i), t.ExtraDelay) {
			return
		}
	}
	if !visit("nodes_timer_jitter", s.NodesTimerJitter) {
		return
	}
	if st := s.Storage; st != nil {
		if !visit("storage.fsync", st.Fsync) {
			return
		}
		for i := range st.Nodes {
			if !visit(fmt.Sprintf("storage.nodes[%d].fsync", i), &st.Nodes[i].Fsync) {
				return
			}
		}
	}
}
