package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// tree maps every file under dir to its SHA-256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if maps.Equal(want, got) {
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s differs or is missing", what, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extra file %s", what, k)
		}
	}
}

func grid(t *testing.T, file, set string) (*Experiment, []*Job) {
	t.Helper()
	e, err := LoadExperiment(file)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.Grid(set, 0)
	if err != nil {
		t.Fatal(err)
	}
	return e, jobs
}

func sweep(t *testing.T, jobs []*Job, out string, workers int, shard Shard) Summary {
	t.Helper()
	sum, err := Sweep(context.Background(), jobs, Options{OutDir: out, Workers: workers, Shard: shard})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestSweepDeterministicAcrossWorkersAndShards: -j 1 and -j 2 write
// byte-identical trees, and the union of shards 0..n-1 is the unsharded
// tree, file for file, for n in {2, 3, 7}; merging the shards adds only the
// runs table.
func TestSweepDeterministicAcrossWorkersAndShards(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	if len(jobs) != 2*2*4 {
		t.Fatalf("%d jobs, want 16", len(jobs))
	}
	base := t.TempDir()
	one := filepath.Join(base, "j1")
	sum := sweep(t, jobs, one, 1, All)
	if sum.Ran != len(jobs) || sum.Skipped != 0 {
		t.Fatalf("first sweep: %+v", sum)
	}
	want := tree(t, one)
	if len(want) != 2*len(jobs) {
		t.Fatalf("%d files, want an events file and a manifest entry per run (%d)", len(want), 2*len(jobs))
	}
	two := filepath.Join(base, "j2")
	sweep(t, jobs, two, 2, All)
	sameTree(t, "-j 2 vs -j 1", want, tree(t, two))

	for _, n := range []int{2, 3, 7} {
		union := map[string]string{}
		var dirs []string
		for i := 0; i < n; i++ {
			dir := filepath.Join(base, "shards", string(rune('0'+n)), string(rune('0'+i)))
			sweep(t, jobs, dir, 2, Shard{i, n})
			for k, v := range tree(t, dir) {
				if _, dup := union[k]; dup {
					t.Errorf("n=%d: %s written by two shards", n, k)
				}
				union[k] = v
			}
			dirs = append(dirs, dir)
		}
		sameTree(t, "union of shards", want, union)
		merged := filepath.Join(base, "merged", string(rune('0'+n)))
		if got, err := Merge(merged, dirs); err != nil || got != len(jobs) {
			t.Fatalf("merge: %d runs, %v", got, err)
		}
		m := tree(t, merged)
		if _, ok := m["runs.parquet"]; !ok {
			t.Fatal("merge wrote no runs.parquet")
		}
		delete(m, "runs.parquet")
		sameTree(t, "merged shards", want, m)
	}
	// Merging the unsharded output into itself gives the same runs table
	// as merging shards.
	if _, err := Merge(one, []string{one}); err != nil {
		t.Fatal(err)
	}
	runs, err := pq.ReadRuns(filepath.Join(one, "runs.parquet"))
	if err != nil || len(runs) != len(jobs) {
		t.Fatalf("runs table: %d rows, %v", len(runs), err)
	}
	if !slices.IsSortedFunc(runs, func(a, b eventlog.RunInfo) int { return strings.Compare(a.RunID, b.RunID) }) {
		t.Error("runs table not sorted by run id")
	}
	if runs[0].Experiment != "sweep" || runs[0].SeedSet != SetReport || runs[0].Variant == "" {
		t.Errorf("run info lacks experiment, seed set or variant: %+v", runs[0])
	}
}

// TestSweepRedoesDamagedRuns: a run whose file no longer matches its
// manifest entry, or that has no entry, is redone; the rest are skipped.
func TestSweepRedoesDamagedRuns(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	out := t.TempDir()
	sweep(t, jobs, out, 2, All)
	want := tree(t, out)
	if err := os.WriteFile(filepath.Join(out, jobs[3].EventsPath()), []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(ManifestPath(out, jobs[5].Run.Info.RunID)); err != nil {
		t.Fatal(err)
	}
	sum := sweep(t, jobs, out, 2, All)
	if sum.Ran != 2 || sum.Skipped != len(jobs)-2 {
		t.Fatalf("re-run: %+v; want 2 redone, %d skipped", sum, len(jobs)-2)
	}
	sameTree(t, "after repair", want, tree(t, out))
}

const sweepChildEnv = "BALLAST_TEST_SWEEP_OUT"

// sweepChild runs the killme experiment one run at a time; the parent kills it.
func sweepChild(out string) error {
	e, err := LoadExperiment("testdata/killme.yaml")
	if err != nil {
		return err
	}
	jobs, err := e.Grid(SetReport, 0)
	if err != nil {
		return err
	}
	_, err = Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All})
	return err
}

// TestSweepSurvivesSIGKILL kills a sweeping child process part-way, then
// re-runs the sweep: it finishes, reuses the runs completed before the kill,
// and every output file is valid.
func TestSweepSurvivesSIGKILL(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sweepChildEnv+"="+out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		entries, _ := os.ReadDir(filepath.Join(out, "manifest"))
		if len(entries) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child made no progress")
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, jobs := grid(t, "testdata/killme.yaml", SetReport)
	// A manifest entry cut short by the kill does not count as complete.
	before := 0
	for _, j := range jobs {
		if Complete(out, j, Outputs{}) {
			before++
		}
	}
	if before >= len(jobs) {
		t.Skipf("the child finished all %d runs before the kill; nothing to resume", len(jobs))
	}
	if before < 4 {
		t.Fatalf("only %d complete runs after the kill; the child had written at least 5 manifest entries", before)
	}
	sum := sweep(t, jobs, out, 2, All)
	if sum.Skipped != before || sum.Skipped+sum.Ran != len(jobs) {
		t.Fatalf("resume: %+v after %d runs completed before the kill", sum, before)
	}
	for _, j := range jobs {
		if !Complete(out, j, Outputs{}) {
			t.Fatalf("run %s incomplete after resume", j.Run.Info.RunID)
		}
		if _, evs, err := pq.ReadEvents(filepath.Join(out, j.EventsPath())); err != nil || len(evs) == 0 {
			t.Fatalf("run %s: %d events, %v", j.Run.Info.RunID, len(evs), err)
		}
	}
	// The killed run's temporary file is cleaned up when it is redone.
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && atomicfile.IsTemp(d.Name()) {
			t.Errorf("stale temporary file %s", p)
		}
		return nil
	})
}

func TestExperimentErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "description: d\nscenarios: [lan]\n"
	cases := []struct{ name, body, want string }{
		{"overlap", head + "policies: [{policy: random}]\nseeds: {master: 1, tuning: [5, 6], report: [6, 7]}\n",
			"seeds.report: seed 6 is also a tuning seed"},
		{"unknownpolicy", head + "policies: [{policy: nope}]\nseeds: {master: 1, report: 2}\n",
			`policies[0].policy: unknown policy "nope"`},
		{"unknownparam", head + "policies: [{policy: random, set: {foo: 1}}]\nseeds: {master: 1, report: 2}\n",
			`policy random has no parameter "foo"`},
		{"dupvariant", head + "policies: [{policy: random}, {policy: random}]\nseeds: {master: 1, report: 2}\n",
			`variant "default" is already policies[0]`},
		{"noscenario", "description: d\nscenarios: [nowhere]\npolicies: [{policy: random}]\nseeds: {master: 1, report: 2}\n",
			`scenarios[0]: scenario "nowhere": no such built-in scenario`},
		// The defects of issue 13: each refused with one line.
		{"twice", "description: d\nscenarios: [lan, lan]\npolicies: [{policy: random}]\nseeds: {master: 1, report: 2}\n",
			`scenarios[1]: scenario lan is already scenarios[0]; allowed: each scenario once`},
		{"boolset", head + "policies: [{policy: random, set: {min_ms: true}}]\nseeds: {master: 1, report: 2}\n",
			`policies[0].set: min_ms: true is not allowed; allowed: a number, a list of numbers, or a name`},
		{"keep", head + "keep_events: some\npolicies: [{policy: random}]\nseeds: {master: 1, report: 2}\n",
			`keep_events: "some": allowed: all, report, none`},
		{"fraction", head + "policies: [{policy: random}]\nseeds: {master: 1, report: 1.5}\n",
			`seeds.report: "1.5" is not a seed set; allowed: a count, or a list of whole-number seeds`},
		{"hugegrid", head + "policies: [{policy: rtt_heuristic, tune: {thr: [[1,2],[1,3],[1,4],[1,5],[1,6],[1,7],[1,8],[1,9],[1,10],[1,11],[1,12],[1,13],[1,14],[1,15],[1,16],[1,17],[1,18],[1,19],[1,20],[1,21]], min_jitter_ms: [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255,256,257,258,259,260,261,262,263,264,265,266,267,268,269,270,271,272,273,274,275,276,277,278,279,280,281,282,283,284,285,286,287,288,289,290,291,292,293,294,295,296,297,298,299,300,301,302,303,304,305,306,307,308,309,310,311,312,313,314,315,316,317,318,319,320,321,322,323,324,325,326,327,328,329,330,331,332,333,334,335,336,337,338,339,340,341,342,343,344,345,346,347,348,349,350,351,352,353,354,355,356,357,358,359,360,361,362,363,364,365,366,367,368,369,370,371,372,373,374,375,376,377,378,379,380,381,382,383,384,385,386,387,388,389,390,391,392,393,394,395,396,397,398,399,400,401,402,403,404,405,406,407,408,409,410,411,412,413,414,415,416,417,418,419,420,421,422,423,424,425,426,427,428,429,430,431,432,433,434,435,436,437,438,439,440,441,442,443,444,445,446,447,448,449,450,451,452,453,454,455,456,457,458,459,460,461,462,463,464,465,466,467,468,469,470,471,472,473,474,475,476,477,478,479,480,481,482,483,484,485,486,487,488,489,490,491,492,493,494,495,496,497,498,499,500,501,502,503,504,505,506,507,508,509,510,511,512,513,514,515,516,517,518,519,520,521,522,523,524,525,526,527,528,529,530,531,532,533,534,535,536,537,538,539,540,541,542,543,544,545,546,547,548,549,550,551,552,553,554,555,556,557,558,559,560,561,562,563,564,565,566,567,568,569,570,571,572,573,574,575,576,577,578,579,580,581,582,583,584,585,586,587,588,589,590,591,592,593,594,595,596,597,598,599]}}]\nseeds: {master: 1, report: 2, tuning: 2}\n",
			`policies[0].tune: 12000 grid points; allowed: at most 10000`},
	}
	for _, c := range cases {
		_, err := LoadExperiment(write(c.name, "name: "+c.name+"\n"+c.body))
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: more than one line: %q", c.name, err)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), c.name+".yaml:") {
			t.Errorf("%s: error does not name the file and line: %v", c.name, err)
		}
	}
}

// TestNamesStayInTheTree: an experiment cannot be named so that its runs
// directory escapes the output tree ("..", ".hidden").
func TestNamesStayInTheTree(t *testing.T) {
	for _, name := range []string{"..", ".hidden", ""} {
		data := "name: \"" + name + "\"\nscenarios: [lan]\npolicies: [{policy: random}]\nseeds: {master: 1, report: 2}\n"
		if _, err := ParseExperiment("x.yaml", []byte(data)); err == nil || !strings.Contains(err.Error(), "x.yaml:1: name:") {
			t.Errorf("name %q: %v", name, err)
		}
	}
}

func TestParseShard(t *testing.T) {
	env := map[string]string{"SLURM_ARRAY_TASK_ID": "2"}
	getenv := func(k string) string { return env[k] }
	for spec, want := range map[string]Shard{"0/1": All, "3/7": {3, 7}, "env/4": {2, 4}} {
		got, err := ParseShard(spec, getenv)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"3/2", "2/2", "-1/2", "1", "a/b", "0/0", "env/2"} {
		if bad == "env/2" {
			getenv = func(string) string { return "" }
		}
		if _, err := ParseShard(bad, getenv); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// TestSeedSetsDisjointAndStable: derived sets are disjoint, a prefix of a
// larger count, and pinned (the derivation is documented).
func TestSeedSetsDisjointAndStable(t *testing.T) {
	e := &Experiment{Seeds: SeedSets{Master: 20261122, Tuning: &SeedSet{Count: 1000}, Report: &SeedSet{Count: 1000}}}
	tune := map[uint64]bool{}
	for _, s := range e.SeedList(SetTuning) {
		tune[s] = true
	}
	for _, s := range e.SeedList(SetReport) {
		if tune[s] {
			t.Fatalf("seed %d in both sets", s)
		}
	}
	small := &Experiment{Seeds: SeedSets{Master: 20261122, Report: &SeedSet{Count: 10}}}
	if !slices.Equal(small.SeedList(SetReport), e.SeedList(SetReport)[:10]) {
		t.Error("a smaller count is not a prefix of a larger one")
	}
	if got := DeriveSeed(20261122, SetReport, 0); got != DeriveSeed(20261122, "report", 0) || got>>63 != 0 {
		t.Errorf("seed %d", got)
	}
}

// TestSweepFailures: a panicking run becomes an error naming its run id and
// seed; without --keep-going the sweep stops starting runs, with it every
// other run completes.
func TestSweepFailures(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	bad := jobs[1]
	bad.Run.Factory = nil // the engine panics on its first policy call
	out := t.TempDir()
	sum, err := Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All, KeepGoing: true})
	if err == nil || !strings.Contains(err.Error(), bad.Run.Info.RunID) || !strings.Contains(err.Error(), "seed") || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("keep-going error %v does not name the panicking run %s and its seed", err, bad.Run.Info.RunID)
	}
	if sum.Failed != 1 || sum.Ran != len(jobs)-1 {
		t.Fatalf("keep-going: %+v; want 1 failed and the other %d run", sum, len(jobs)-1)
	}
	if Complete(out, bad, Outputs{}) {
		t.Fatal("the failed run is recorded as complete")
	}
	out2 := t.TempDir()
	sum, err = Sweep(context.Background(), jobs, Options{OutDir: out2, Workers: 1, Shard: All})
	if err == nil || sum.Ran >= len(jobs)-1 {
		t.Fatalf("stop-on-failure: %+v, %v; want the sweep to stop after the failure", sum, err)
	}
}

// TestZeroShardIsAll: Options without a Shard run every job, as All does.
func TestZeroShardIsAll(t *testing.T) {
	for i := range 5 {
		if !(Shard{}).Has(i) || !All.Has(i) {
			t.Errorf("job %d: the zero Shard or All does not have it", i)
		}
	}
	if s := (Shard{}).String(); s != "0/1" {
		t.Errorf("zero Shard prints %q, want 0/1", s)
	}
}
