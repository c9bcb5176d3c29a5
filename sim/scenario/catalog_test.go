package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCatalog loads every built-in scenario and generates its timeline for
// two seeds: every file must decode, validate, carry a description and give
// a well-formed schedule.
func TestCatalog(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if strings.TrimSpace(s.Description) == "" {
			t.Errorf("%s: no description", s.Name)
		}
		for _, seed := range []uint64{1, 2} {
			tl := NewTimeline(s, seed)
			end := s.DurationUS()
			for i, ev := range tl.Events {
				if ev.AtUS < 0 || ev.AtUS >= end {
					t.Errorf("%s seed %d: event %d at %d µs, outside [0, %d)", s.Name, seed, i, ev.AtUS, end)
				}
				if i > 0 && ev.AtUS < tl.Events[i-1].AtUS {
					t.Errorf("%s seed %d: events out of order at %d", s.Name, seed, i)
				}
			}
		}
	}
}

// TestCatalogPaperFacts pins the counts and schedules the sources state, so an
// edit cannot drift from them unnoticed.
func TestCatalogPaperFacts(t *testing.T) {
	load := func(name string) *Scenario {
		t.Helper()
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Dynatune IV-B1 and IV-D: "failing the leader 1000 times across five servers".
	for _, name := range []string{"dynatune_stable", "dynatune_geo"} {
		s := load(name)
		if got := len(NewTimeline(s, 1).Crashes); got != 1000 || s.Nodes != 5 {
			t.Errorf("%s: %d leader failures on %d nodes, want 1000 on 5", name, got, s.Nodes)
		}
	}
	// Dynatune IV-C1: RTT 50 -> 200 -> 50 ms in 10 ms steps of one minute;
	// 50 ms, one minute at 500 ms, 50 ms.
	rtts := func(s *Scenario) (at []float64, rtt []float64) {
		for _, r := range s.Network.Regimes {
			at = append(at, r.AtS)
			rtt = append(rtt, 2**r.BaseDelayMS)
		}
		return at, rtt
	}
	var want []float64
	for r := 50; r <= 200; r += 10 {
		want = append(want, float64(r))
	}
	for r := 190; r >= 50; r -= 10 {
		want = append(want, float64(r))
	}
	for _, name := range []string{"dynatune_rtt_gradual", "dynatune_rtt_gradual_raftlow"} {
		s := load(name)
		at, rtt := rtts(s)
		if fmt.Sprint(rtt) != fmt.Sprint(want) {
			t.Errorf("%s: RTT steps %v, want %v", name, rtt, want)
		}
		for i, a := range at {
			if a != float64(60*i) {
				t.Errorf("%s: step %d at %v s, want %d s", name, i, a, 60*i)
			}
		}
		if s.DurationS != float64(60*len(want)) {
			t.Errorf("%s: %v s, want %d", name, s.DurationS, 60*len(want))
		}
	}
	for _, name := range []string{"dynatune_rtt_sudden", "dynatune_rtt_sudden_raftlow"} {
		at, rtt := rtts(load(name))
		if fmt.Sprint(at, rtt) != fmt.Sprint([]float64{0, 60, 120}, []float64{50, 500, 50}) {
			t.Errorf("%s: regimes at %v with RTT %v, want 50 ms, one minute at 500 ms, 50 ms", name, at, rtt)
		}
	}
	// Dynatune IV-C2: RTT 200 ms, loss 0 -> 30 -> 0 % in 5 % steps of 3 minutes,
	// 5, 17 and 65 servers.
	for _, n := range []int{5, 17, 65} {
		name := fmt.Sprintf("dynatune_loss_n%d", n)
		s := load(name)
		var loss []float64
		for i, r := range s.Network.Regimes {
			if r.AtS != float64(180*i) {
				t.Errorf("%s: level %d at %v s, want %d s", name, i, r.AtS, 180*i)
			}
			loss = append(loss, *r.Loss)
		}
		wantLoss := []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0}
		if s.Nodes != n || fmt.Sprint(loss) != fmt.Sprint(wantLoss) || 2**s.Network.Default.BaseDelayMS != 200 {
			t.Errorf("%s: %d nodes, loss %v, RTT %v ms; want %d nodes, loss %v, RTT 200 ms",
				name, s.Nodes, loss, 2**s.Network.Default.BaseDelayMS, n, wantLoss)
		}
	}
	// BALLAST 6.3 and A.4: "CPU+IO stress on each host ... to emulate GC/IO
	// contention": every node of the stress scenarios pauses; the single-
	// host one keeps the main scenario's slow node.
	for _, name := range []string{"wan_main_n3_stress", "multi_az_n3_stress"} {
		s := load(name)
		paused := map[int]bool{}
		for i := range s.Pauses {
			for _, n := range s.Pauses[i].PausedNodes(s.Nodes) {
				paused[n] = true
			}
		}
		if len(paused) != s.Nodes {
			t.Errorf("%s: %d of %d nodes pause", name, len(paused), s.Nodes)
		}
	}
	slow := func(s *Scenario, node int) string {
		for _, p := range s.Processing {
			if p.Node == node {
				return fmt.Sprintf("%s %v", p.Delay.Dist, *p.Delay.MeanMS)
			}
		}
		return "none"
	}
	if a, b := slow(load("wan_main_n3_stress"), 2), slow(load("wan_main_n3"), 2); a != b {
		t.Errorf("wan_main_n3_stress: node 2's processing delay %s, want wan_main_n3's %s", a, b)
	}
	// BALLAST A.6: N = 15 and 21; section 6.3: the prototype's 3 nodes.
	for name, n := range map[string]int{"wan_main_n15": 15, "wan_main_n21": 21, "wan_main_n3": 3,
		"wan_main_prevote_n5": 5, "wan_main_prevote_n7": 7, "multi_az_n3": 3} {
		if s := load(name); s.Nodes != n {
			t.Errorf("%s: %d nodes, want %d", name, s.Nodes, n)
		}
	}
}

// TestCatalogVariants: scenarios defined as "scenario X with Y changed" must
// equal X in everything but Y. Each entry copies the fields allowed to differ
// from the base into the variant, then compares content hashes; the variant
// must differ from its base before that (else it is a no-op copy), unless it
// only renames its base.
func TestCatalogVariants(t *testing.T) {
	nodes := func(v, b *Scenario) { v.Nodes = b.Nodes }
	processing := func(v, b *Scenario) { v.Processing = b.Processing }
	// Host stress: per-node processing pauses plus per-message noise.
	stress := func(v, b *Scenario) { v.Processing, v.Pauses = b.Processing, b.Pauses }
	// The etcd/raft prototype's scenarios run on TCP streams.
	tcp := func(v, b *Scenario) { v.Network.Transport = b.Network.Transport }
	cases := []struct {
		variant, base string
		align         func(v, b *Scenario) // nil: only the name may differ
	}{
		{"wan_main_n15", "wan_main", nodes},
		{"wan_main_n21", "wan_main", nodes},
		{"timer_alignment", "wan_main", nil},
		{"wan_main_n3", "wan_main", func(v, b *Scenario) { nodes(v, b); processing(v, b); tcp(v, b) }},
		{"wan_main_n3_stress", "wan_main_n3", stress},
		{"multi_az_n3_stress", "multi_az_n3", stress},
		{"partition_recovery_n3", "partition_recovery", func(v, b *Scenario) { nodes(v, b); tcp(v, b) }},
		{"wan_stable_n3", "wan_stable", func(v, b *Scenario) { nodes(v, b); tcp(v, b) }},
		{"lan_n3", "lan", func(v, b *Scenario) { nodes(v, b); tcp(v, b) }},
		{"cold_start", "partition_recovery", func(v, b *Scenario) { v.Crashes = b.Crashes }},
		{"wan_main_prevote_n5", "wan_main", func(v, b *Scenario) { v.Raft = b.Raft; tcp(v, b) }},
		{"wan_main_prevote_n7", "wan_main", func(v, b *Scenario) { v.Raft = b.Raft; nodes(v, b); tcp(v, b) }},
		{"dynatune_rtt_gradual_raftlow", "dynatune_rtt_gradual", func(v, b *Scenario) { v.Raft = b.Raft }},
		{"dynatune_rtt_sudden_raftlow", "dynatune_rtt_sudden", func(v, b *Scenario) { v.Raft = b.Raft }},
		{"dynatune_loss_n17", "dynatune_loss_n5", nodes},
		{"dynatune_loss_n65", "dynatune_loss_n5", nodes},
		{"dynatune_geo", "dynatune_stable", func(v, b *Scenario) { v.Network = b.Network }},
		{"dynatune_rtt_sudden", "dynatune_rtt_gradual", func(v, b *Scenario) { v.Network.Regimes = b.Network.Regimes; v.DurationS = b.DurationS }},
		{"dynatune_loss_n5", "dynatune_stable", func(v, b *Scenario) { v.Network, v.Crashes, v.DurationS = b.Network, b.Crashes, b.DurationS }},
	}
	for _, c := range cases {
		v, err := Load(c.variant)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(c.base)
		if err != nil {
			t.Fatal(err)
		}
		v.Name, v.Description = b.Name, b.Description
		if c.align != nil {
			if v.Hash() == b.Hash() {
				t.Errorf("%s equals %s: the variant changes nothing", c.variant, c.base)
			}
			c.align(v, b)
		}
		if v.Hash() != b.Hash() {
			t.Errorf("%s differs from %s in more than its intended fields", c.variant, c.base)
		}
	}
}

// TestPublished: every file of configs/published parses as YAML and follows
// the schema of configs/published/README.md.
func TestPublished(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "configs", "published", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in configs/published")
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Source struct {
				Document  string `yaml:"document"`
				Cite      string `yaml:"cite"`
				Section   string `yaml:"section"`
				Table     string `yaml:"table"`
				Figure    string `yaml:"figure"`
				Numbering string `yaml:"numbering"`
			} `yaml:"source"`
			Title    string `yaml:"title"`
			Scenario string `yaml:"scenario"`
			Seeds    int    `yaml:"seeds"`
			Interval string `yaml:"interval"`
			Columns  []struct {
				Key   string `yaml:"key"`
				Label string `yaml:"label"`
				Unit  string `yaml:"unit"`
			} `yaml:"columns"`
			Rows []struct {
				Key      string `yaml:"key"`
				Label    string `yaml:"label"`
				Scenario string `yaml:"scenario"`
				Cells    map[string]struct {
					Value   any       `yaml:"value"`
					CI      []float64 `yaml:"ci"`
					Approx  bool      `yaml:"approx"`
					Derived string    `yaml:"derived"`
				} `yaml:"cells"`
			} `yaml:"rows"`
			Quotes []string `yaml:"quotes"`
			Notes  []string `yaml:"notes"`
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		src := doc.Source
		if src.Cite == "" || src.Section == "" || (src.Table == "" && src.Figure == "") {
			t.Errorf("%s: source needs cite, section and a table or figure", f)
		}
		if src.Numbering != "stated" && !strings.HasPrefix(src.Numbering, "inferred: ") {
			t.Errorf("%s: source.numbering %q; allowed: stated, or inferred: <why>", f, src.Numbering)
		}
		if doc.Title == "" || len(doc.Columns) == 0 || len(doc.Rows) == 0 {
			t.Errorf("%s: needs a title, columns and rows", f)
		}
		cols := map[string]bool{}
		for _, c := range doc.Columns {
			if c.Key == "" || c.Label == "" || c.Unit == "" || cols[c.Key] {
				t.Errorf("%s: column %q needs a unique key, a label and a unit", f, c.Key)
			}
			cols[c.Key] = true
		}
		rows := map[string]bool{}
		for _, r := range doc.Rows {
			if r.Key == "" || r.Label == "" || rows[r.Key] || len(r.Cells) == 0 {
				t.Errorf("%s: row %q needs a unique key, a label and cells", f, r.Key)
			}
			rows[r.Key] = true
			for k, c := range r.Cells {
				where := fmt.Sprintf("%s: row %s, cell %s", f, r.Key, k)
				if !cols[k] {
					t.Errorf("%s: no such column", where)
				}
				v, isNum := c.Value.(float64)
				if i, ok := c.Value.(int); ok {
					v, isNum = float64(i), true
				}
				if s, ok := c.Value.(string); !isNum && (!ok || s == "") {
					t.Errorf("%s: value %v; allowed: a number or a non-empty string", where, c.Value)
				}
				if c.CI != nil && (len(c.CI) != 2 || !isNum || c.CI[0] > v || v > c.CI[1]) {
					t.Errorf("%s: ci %v does not contain the value %v", where, c.CI, c.Value)
				}
			}
		}
	}
}
