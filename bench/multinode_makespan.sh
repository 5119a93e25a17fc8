#!/usr/bin/env bash
# `florenz simulate` against a measured makespan on the multi-node test bed (cluster/testbed):
# a grid of 4-rank (tp 2 × dp 2) and 2-rank (tp 2) gangs trained under mpirun on 2 nodes
# (node1: the coordinator and 2 workers, node2: 2 workers), then simulated on the same shape
# (--ranks 4 --ranks-per-node 2 --coordinator extra) at the speed the runs really had: the
# FLOP/s per rank that makes the simulated total work equal the measured one (every run's
# training + evaluation seconds × its gang's ranks, from results.csv). The ratio simulated /
# measured makespan is then what the simulation leaves out: process start, communicator set-up,
# the gaps between runs, checkpoints — and how well it packs the gangs. Reported, not asserted.
#
#   bench/multinode_makespan.sh [BUILD]     (root and network namespaces; skips otherwise)
set -euo pipefail
build="$(cd "${1:-build}" && pwd)"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
florenz="$build/florenz"
if [ "$(id -u)" != 0 ] || ! unshare --net --uts --mount true 2>/dev/null || ! command -v mpirun >/dev/null; then
  echo "multinode_makespan: skipped (needs root, network namespaces and Open MPI)"
  exit 0
fi
export FLORENZ_BED_DIR=/var/tmp/florenz-bed-bench FLORENZ_BED_SUBNET=10.213.99
bed="$src/cluster/testbed/bed"
export PATH="$FLORENZ_BED_DIR/bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_plm_rsh_agent="$src/cluster/testbed/rsh"
"$bed" down >/dev/null 2>&1 || true
rm -rf "$FLORENZ_BED_DIR"
trap '"$bed" down >/dev/null 2>&1 || true; rm -rf "$FLORENZ_BED_DIR"' EXIT
"$bed" up 2 2>/dev/null
work="$FLORENZ_BED_DIR/shared/work"
mkdir -p "$work"
cd "$work"
cat >grid.yaml <<'GRID'
experiment: {name: multinode-makespan}
data:
  image: symbolic
  max_caption_tokens: 24
  languages: [en, de, es]
  coverage:
    caption: {en: train, de: train, es: eval}
    translate: {de: train, es: train}
model:
  sizes:
    - {name: gang4, d_model: 32, layers: 1, heads: 2, ffn: 64, tensor_parallel: 2, data_parallel: 2}
    - {name: tp2, d_model: 48, layers: 2, heads: 2, ffn: 96, tensor_parallel: 2}
training:
  budgets: [1600, 3200, 6400]
  batch_size: 32
  log_interval: 10
evaluation: {interval: 1M, samples_per_pair: 16, metrics: [cross_entropy]}
execution: {checkpoint_interval: 1M, threads: 1}
GRID
start=$(date +%s.%N)
"$bed" run node1 mpirun --host node1:3,node2:2 -np 5 "$florenz" run grid.yaml --out out >run.txt 2>&1
measured=$(echo "$(date +%s.%N) - $start" | bc -l)
"$florenz" collect out >/dev/null
work_seconds=$(/usr/bin/python3 - out/results.csv <<'PY'
import csv, sys
total = 0.0
for row in csv.DictReader(open(sys.argv[1], newline="")):
    ranks = 4 if row["run_id"].startswith("gang4-") else 2
    total += ranks * (float(row["final/training_seconds"]) + float(row["final/evaluation_seconds"]))
print(total)
PY
)
simulate() { "$florenz" simulate grid.yaml --ranks 4 --ranks-per-node 2 --coordinator extra --json "$@"; }
field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
flop_rank_seconds=$(simulate --flops-per-rank 1 | field "['work_rank_seconds']")
speed=$(echo "$flop_rank_seconds / $work_seconds" | bc -l)
simulated=$(simulate --flops-per-rank "$speed" | field "['results'][0]['makespan_seconds']")
printf 'grid: 6 runs (3 of 4 ranks, 3 of 2 ranks) on node1 (coordinator + 2) and node2 (2), mpirun, 1 thread a rank\n'
printf 'measured work %.1f rank-s (training + evaluation) -> %.3g FLOP/s per rank\n' "$work_seconds" "$speed"
printf '%-34s %10s\n' "makespan" "seconds"
printf '%-34s %10.1f\n' "measured (mpirun, wall)" "$measured"
printf '%-34s %10.1f\n' "florenz simulate (lpt+easy)" "$simulated"
printf '%-34s %10.3f\n' "simulated / measured" "$(echo "$simulated / $measured" | bc -l)"
printf '%-34s %10.3f\n' "measured work / (4 ranks × wall)" "$(echo "$work_seconds / (4 * $measured)" | bc -l)"
