package neurosym

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/policies"
)

// WeightsPath is where 'ballast train neurosym EXPERIMENT' writes weights
// by default; the policy's default weights parameter is the one of the
// experiment named neurosym.
func WeightsPath(experiment string) string {
	return filepath.Join("configs", "tuned", experiment+".weights.json")
}

// LossPlotPrefix is the loss curve's path without extension, beside the
// weights.
func LossPlotPrefix(weightsPath string) string {
	return strings.TrimSuffix(weightsPath, ".weights.json") + ".loss"
}

// Write stores the weights at path and the loss curve at
// LossPlotPrefix(path).png and .pdf, all or nothing.
func Write(path string, f *policies.NeurosymFile) error {
	b, err := f.Encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fig, err := LossFigure(f)
	if err != nil {
		return err
	}
	files, err := plot.Stage(LossPlotPrefix(path), fig)
	if err != nil {
		return err
	}
	w, err := atomicfile.Stage(path, func(out io.Writer) error {
		_, err := out.Write(b)
		return err
	})
	if err != nil {
		atomicfile.AbortAll(files...)
		return err
	}
	return atomicfile.CommitAll(append(files, w)...)
}

// LossFigure draws the mean pinball loss per epoch, training and validation.
func LossFigure(f *policies.NeurosymFile) (plot.Figure, error) {
	var tr, val plot.Curve
	tr.Label, val.Label = "training", "validation"
	for _, p := range f.Provenance.Loss {
		x := float64(p.Epoch)
		tr.X, val.X = append(tr.X, x), append(val.X, x)
		tr.CI = append(tr.CI, stats.CI{Mean: p.Train, Lo: p.Train, Hi: p.Train})
		val.CI = append(val.CI, stats.CI{Mean: p.Validation, Lo: p.Validation, Hi: p.Validation})
	}
	title := fmt.Sprintf("neurosym training (%s, %d steps)", f.Provenance.Experiment, f.Provenance.TrainSteps)
	return plot.Sensitivity(title, "epoch", "mean pinball loss", []plot.Curve{tr, val})
}
