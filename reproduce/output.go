package reproduce

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	bplot "github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// built is one artifact with its result.
type built struct {
	art *Artifact
	res *Result
}

// stager collects staged files so that all outputs appear together or not
// at all.
type stager struct {
	out   string
	files []*atomicfile.File
	paths []string
}

func (s *stager) stage(rel string, write func(io.Writer) error) error {
	f, err := atomicfile.Stage(filepath.Join(s.out, rel), write)
	if err != nil {
		return err
	}
	s.files, s.paths = append(s.files, f), append(s.paths, rel)
	return nil
}

func (s *stager) table(rel string, t *table.Table) error {
	for _, o := range []struct {
		ext   string
		write func(io.Writer) error
	}{{".tex", t.LaTeX}, {".md", t.Markdown}, {".csv", t.CSV}} {
		if err := s.stage(rel+o.ext, o.write); err != nil {
			return err
		}
	}
	return nil
}

func (s *stager) figure(rel string, f bplot.Figure) error {
	files, err := bplot.Stage(filepath.Join(s.out, rel), f)
	if err != nil {
		return err
	}
	s.files = append(s.files, files...)
	s.paths = append(s.paths, rel+".png", rel+".pdf")
	return nil
}

// write stages every output of the reproduction and commits them together.
// REPORT.md and the summary files are written only when every artifact
// was built (report).
func write(opt *Options, env *Env, results []*built, report bool) (*Summary, error) {
	if err := mkdirs(opt.Out); err != nil {
		return nil, err
	}
	s := &stager{out: opt.Out}
	fail := func(err error) (*Summary, error) {
		atomicfile.AbortAll(s.files...)
		return nil, err
	}
	for _, b := range results {
		for _, t := range b.res.Tables {
			if err := s.table(filepath.Join("tables", t.Name), t.T); err != nil {
				return fail(err)
			}
		}
		for _, f := range b.res.Figures {
			if err := s.figure(filepath.Join("figures", f.Name), f.F); err != nil {
				return fail(err)
			}
			if f.Data != nil {
				if err := s.stage(filepath.Join("figures", f.Name+".csv"), f.Data.CSV); err != nil {
					return fail(err)
				}
			}
		}
		if len(b.res.Compare) > 0 {
			cs := b.res.Compare
			if err := s.stage(filepath.Join("tables", b.art.ID+".compare.csv"), func(w io.Writer) error { return compareCSV(w, cs) }); err != nil {
				return fail(err)
			}
		}
	}
	if err := s.stage(filepath.Join("tables", "seeds.csv"), func(w io.Writer) error { return seedsCSV(w, env) }); err != nil {
		return fail(err)
	}
	sum := &Summary{Artifacts: len(results)}
	if report {
		if err := stageReport(s, opt, env, results); err != nil {
			return fail(err)
		}
		sum.Report = filepath.Join(opt.Out, "REPORT.md")
	}
	if err := atomicfile.CommitAll(s.files...); err != nil {
		return nil, err
	}
	sum.Files = s.paths
	return sum, nil
}

// seedsCSV lists every seed the reproduction used: the report seeds of
// each experiment and the tuning seeds of the tuned ones.
func seedsCSV(w io.Writer, env *Env) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"experiment", "seed_set", "index", "seed", "master"})
	var names []string
	for n := range env.exps {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		d := env.exps[n]
		master := strconv.FormatUint(d.e.Seeds.Master, 10)
		for i, s := range d.seeds {
			cw.Write([]string{n, harness.SetReport, strconv.Itoa(i), strconv.FormatUint(s, 10), master})
		}
		if d.tuned != nil {
			for i, s := range d.tuned.TuningSeeds {
				cw.Write([]string{n, harness.SetTuning, strconv.Itoa(i), strconv.FormatUint(s, 10), master})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// compareCSV writes every compared cell at full precision.
func compareCSV(w io.Writer, cs []*Comparison) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"comparison", "row", "column", "kind", "published", "ours", "published_effect", "ours_effect",
		"published_class", "ours_class", "direction_agrees", "size_agrees", "magnitude_agrees"})
	kinds := map[cmpKind]string{absolute: "absolute", effect: "effect", delta: "delta"}
	for _, c := range cs {
		for _, x := range c.Rows {
			cw.Write([]string{c.Title, x.Row, x.Col, kinds[x.Kind], x.PubText, num(x.Ours), num(x.PubEffect), num(x.OursEffect),
				x.V.PubDir.String(), x.V.OursDir.String(), strconv.FormatBool(x.V.Direction), strconv.FormatBool(x.V.Size), strconv.FormatBool(x.Magnitude)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// sig4 prints a number like the tables do: 4 significant digits, whole
// numbers from 1000 up, "n/a" for NaN.
func sig4(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	a := math.Abs(v)
	if a >= 999.95 || v == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	dec := 3 - int(math.Floor(math.Log10(a)))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// pct prints a relative change (a fraction) in percent with a sign.
func pct(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*f)
}
