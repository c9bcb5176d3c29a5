#!/bin/sh
# sweep-plan.sh EXPERIMENT SHARDS: checks the inputs of the sweep workflow
# (.github/workflows/sweep.yml) and prints, in $GITHUB_OUTPUT's format:
#   name=     the experiment's name (its name: field), for directories and artifacts
#   file=     its file
#   indexes=  the shard matrix, [0, ..., SHARDS-1]: one job per shard, so
#             every shard of the grid runs exactly once
# A bad input is one line on stderr naming it and what is allowed; exit 2.
# 'make sweep-check' tests it. Run from the repository root.
set -eu
experiment=$1
shards=$2
case "$shards" in
  '' | *[!0-9]*) echo "sweep: shards: \"$shards\"; allowed: an integer from 1 to 256" >&2; exit 2 ;;
esac
if [ "$shards" -lt 1 ] || [ "$shards" -gt 256 ]; then
  echo "sweep: shards: $shards; allowed: an integer from 1 to 256 (one job per shard; GitHub runs at most 256)" >&2
  exit 2
fi
if [ -f "configs/experiments/$experiment.yaml" ]; then
  file="configs/experiments/$experiment.yaml"
elif [ -f "$experiment" ]; then
  file=$experiment
else
  echo "sweep: experiment: \"$experiment\": no such built-in experiment or file; allowed: $(ls configs/experiments | sed -n 's/\.yaml$//p' | paste -sd, -), or a .yaml file in the repository" >&2
  exit 2
fi
name=$(sed -n 's/^name:[[:space:]]*//p' "$file" | head -n 1 | tr -d "\"'" | sed 's/[[:space:]]*#.*//')
if [ -z "$name" ]; then
  echo "sweep: $file: name: missing; allowed: the experiment's name" >&2
  exit 2
fi
echo "name=$name"
echo "file=$file"
echo "indexes=[$(seq -s, 0 $((shards - 1)))]"
