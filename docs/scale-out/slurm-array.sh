#!/usr/bin/env bash
# A Slurm job array: 8 tasks, each runs one shard. The index comes from
# SLURM_ARRAY_TASK_ID; use a 0-based array (--array=0-7).
#SBATCH --job-name=ballast-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=logs/ballast-%A_%a.out
set -euo pipefail
EXPERIMENT=${EXPERIMENT:-table1_main}
SHARDS=8
./bin/ballast run "$EXPERIMENT" -j "${SLURM_CPUS_PER_TASK:-1}" --shard "env/$SHARDS" \
  --out "out/shard-${SLURM_ARRAY_TASK_ID}"
# When every task has finished (e.g. a dependent job: sbatch --dependency=afterok:<jobid>):
#   ./bin/ballast merge out/shard-* --out "artifacts/runs/$EXPERIMENT"
