package commands

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/sim/measured"
)

func init() { register(traceCommand) }

func traceCommand() *cli.Command {
	return &cli.Command{
		Name:  "trace",
		Usage: "measured networks: convert what you measured into a scenario's trace or samples file",
		Commands: []*cli.Command{{
			Name:      "import",
			Usage:     "convert a ping log, a CSV of round trips or etcd's RTT histogram",
			UsageText: "ballast trace import --from ping|csv|prometheus FILE --out OUT",
			Description: "--from ping: a 'ping -D' log (one-way delay = half the round trip, loss over the\n" +
				"  last 20 sequence numbers) -> a trace file (t_s,delay_ms,loss) for a scenario's\n" +
				"  'trace:' on network.default, a region pair or a link.\n" +
				"--from csv: a CSV with the header t_s,rtt_ms -> a trace file (t_s,delay_ms).\n" +
				"--from prometheus: a Prometheus text dump with etcd's\n" +
				"  etcd_network_peer_round_trip_time_seconds histogram (all peers together) ->\n" +
				"  a samples file (one one-way delay in ms per line) for 'dist: empirical'.\n" +
				"Round trips are halved, which assumes symmetric paths; the output's header says\n" +
				"where it came from. Name the output in a scenario relative to the scenario file\n" +
				"(docs/scenarios.md, \"Measured networks\").",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "from", Usage: "input format: ping, csv or prometheus", Required: true},
				&cli.StringFlag{Name: "out", Usage: "the file to write", Required: true},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if cmd.Args().Len() != 1 {
					return usage(fmt.Errorf("trace import: %d input files; allowed: exactly one", cmd.Args().Len()))
				}
				in := cmd.Args().First()
				text, what, err := importTrace(cmd.String("from"), in)
				if err != nil {
					return err
				}
				if _, _, err := atomicfile.WriteFile(cmd.String("out"), text); err != nil {
					return err
				}
				fmt.Fprintf(cmd.Root().Writer, "%s from %s -> %s\n", what, in, cmd.String("out"))
				return nil
			},
		}},
	}
}

// importTrace converts file (of format from) and returns the output file's
// text and what it holds, for the one-line summary.
func importTrace(from, file string) ([]byte, string, error) {
	switch from {
	case "ping", "csv", "prometheus":
	default:
		return nil, "", usage(fmt.Errorf("trace import: --from %q is not allowed; allowed: ping, csv, prometheus", from))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", usage(fmt.Errorf("trace import: %v; allowed: a readable file", err))
	}
	if len(data) > measured.MaxFileBytes {
		return nil, "", usage(fmt.Errorf("trace import: %s has %d bytes; allowed: at most %d", file, len(data), measured.MaxFileBytes))
	}
	name := filepath.Base(file)
	var buf bytes.Buffer
	halved := "one-way delay = round trip / 2 (assumes a symmetric path)"
	switch from {
	case "ping":
		t, err := measured.FromPing(file, data)
		if err != nil {
			return nil, "", usage(err)
		}
		err = measured.WriteTrace(&buf, t, []string{"ballast trace import --from ping " + name, halved,
			fmt.Sprintf("loss: the share of the last %d sequence numbers without a reply", measured.LossWindow)})
		return buf.Bytes(), fmt.Sprintf("a trace of %d rows", len(t.Points)), err
	case "csv":
		t, err := measured.FromRTTCSV(file, data)
		if err != nil {
			return nil, "", usage(err)
		}
		err = measured.WriteTrace(&buf, t, []string{"ballast trace import --from csv " + name, halved})
		return buf.Bytes(), fmt.Sprintf("a trace of %d rows", len(t.Points)), err
	case "prometheus":
		s, err := measured.FromPrometheus(file, data)
		if err != nil {
			return nil, "", usage(err)
		}
		err = measured.WriteSamples(&buf, s, []string{"ballast trace import --from prometheus " + name,
			measured.PeerRTTMetric + ", all peers; each bucket's count spread evenly over the bucket", halved})
		return buf.Bytes(), fmt.Sprintf("%d samples", len(s)), err
	}
	panic("unreachable: --from was checked above")
}
