package commands

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/tuning/neurosym"
)

func init() { register(trainCommand) }

func trainCommand() *cli.Command {
	d := neurosym.DefaultOptions()
	return &cli.Command{
		Name:      "train",
		Usage:     "train a learned policy's network offline on an experiment's tuning seeds (neurosym)",
		UsageText: "ballast train neurosym EXPERIMENT [--out FILE] [--epochs N] [--seeds N] [-j N] ...",
		Description: "Simulates every scenario of EXPERIMENT on its tuning seeds with the behaviour\n" +
			"policy, records each follower's heartbeat steps as the neurosym policy sees them,\n" +
			"holds out the last fifth of the seeds for validation and trains the LSTM\n" +
			"(deterministic from the experiment's master seed). Writes the weights with their\n" +
			"provenance (data, seeds, hyperparameters, loss per epoch, calibration) to FILE\n" +
			"(default configs/tuned/EXPERIMENT.weights.json) and the loss curve beside it\n" +
			"(EXPERIMENT.loss.png and .pdf). The policy's weights parameter names the file;\n" +
			"its default is configs/tuned/neurosym.weights.json.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "weights file (default configs/tuned/EXPERIMENT.weights.json)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel simulations while recording", Value: defaultJobs()},
			&cli.IntFlag{Name: "seeds", Usage: "use only the first N tuning seeds (0: all)"},
			&cli.IntFlag{Name: "max-steps", Usage: "heartbeat steps recorded per run at most, split over its nodes", Value: d.MaxPerRun},
			&cli.StringFlag{Name: "behaviour", Usage: "policy that runs the recorded clusters", Value: d.Behaviour},
			&cli.IntFlag{Name: "epochs", Usage: "passes over the training data", Value: d.Epochs},
			&cli.IntFlag{Name: "lanes", Usage: "streams trained side by side (batch size)", Value: d.Lanes},
			&cli.IntFlag{Name: "chunk", Usage: "steps per truncated-BPTT chunk", Value: d.Chunk},
			&cli.FloatFlag{Name: "lr", Usage: "Adam learning rate", Value: d.LR},
			&cli.FloatFlag{Name: "clip", Usage: "global gradient-norm clip (0: none)", Value: d.ClipNorm},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 2 || cmd.Args().First() != "neurosym" {
				return usage(fmt.Errorf("train: want 'neurosym EXPERIMENT', got %q; allowed: neurosym (the one trained policy) and one of %s, or a .yaml file",
					cmd.Args().Slice(), joinNames(harness.ExperimentNames())))
			}
			e, err := harness.LoadExperiment(cmd.Args().Get(1))
			if err != nil {
				return usage(err)
			}
			opt := neurosym.Options{Behaviour: cmd.String("behaviour"), Epochs: cmd.Int("epochs"), Lanes: cmd.Int("lanes"),
				Chunk: cmd.Int("chunk"), LR: cmd.Float("lr"), ClipNorm: cmd.Float("clip"), MaxSeeds: cmd.Int("seeds"), MaxPerRun: cmd.Int("max-steps"), Workers: cmd.Int("jobs")}
			if opt.Workers < 1 {
				return usage(fmt.Errorf("train: --jobs %d; allowed: >= 1", opt.Workers))
			}
			errw := cmd.Root().ErrWriter
			opt.Progress = func(p policies.LossPoint) {
				fmt.Fprintf(errw, "epoch %d: training loss %.5f, validation loss %.5f\n", p.Epoch, p.Train, p.Validation)
			}
			path := cmd.String("out")
			if path == "" {
				path = neurosym.WeightsPath(e.Name)
			}
			f, err := neurosym.Train(ctx, e, opt)
			if err != nil {
				return err
			}
			if err := neurosym.Write(path, f); err != nil {
				return err
			}
			pv := f.Provenance
			fmt.Fprintf(cmd.Root().Writer, "trained neurosym on %s: %d training steps (%d seeds), %d validation steps (%d seeds); coverage of the %v quantiles %v -> %s\n",
				e.Name, pv.TrainSteps, len(pv.TrainSeeds), pv.ValidationSteps, len(pv.ValidationSeeds), f.Quantiles, pv.Coverage, path)
			return nil
		},
	}
}
