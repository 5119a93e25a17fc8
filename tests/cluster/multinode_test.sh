#!/usr/bin/env bash
# The `multinode` tests: florenz on a cluster of network-namespace nodes that cluster/testbed/bed
# brings up on this machine (and takes down, pass or fail; the last check is that nothing of it
# is left). No MPI or Slurm command runs in the host's namespace: the bed's guard folder is first
# in PATH, and every such command goes through `bed run NODE …`.
#
#   tests/cluster/multinode_test.sh SCENARIO FLORENZ_BIN SOURCE_DIR [MPI_ENVIRONMENT_TEST_BIN]
#
#   mpi_layout  mpi_environment_test under mpirun on 2 nodes × 2 ranks: MPI_COMM_TYPE_SHARED
#               finds 2 ranks a node, and an all-reduce crosses the bed's network.
#   mpirun      a grid with a tp = 2 × dp = 2 gang (4 ranks: it must span both nodes) and tp = 2
#               gangs, under mpirun on node1 (coordinator + 2 ranks) and node2 (2 ranks): every
#               tp group sits inside one node (read back from each run file's /config/hosts),
#               the 4-rank gang spans both, and the final metrics equal those of the same 5
#               ranks on one node.
#   link_cut    the same job; node2's link is cut mid-grid: the job ends within 60 s (Open
#               MPI's out-of-band keepalive), and after `heal` the same command resumes and
#               finishes with the metrics of the undisturbed run.
#   slurm       `florenz submit` with the shipped profile cluster/testbed/bed.yaml (3 nodes × 2
#               tasks, srun --mpi=pmix): one `sbatch --nodes=3` job whose one step spans every
#               node; every run completes, `florenz status` reads the job, the results equal
#               the one-node run.
#   node_crash  the same on 2 nodes × 4 tasks; node2 crashes mid-grid (every process of it
#               killed, its /tmp emptied): Slurm marks node2 down and requeues the job, node2's
#               slurmd comes back, the job resumes; every run completes, every file finished
#               before the crash is byte-identical, and the final metrics equal the one-node
#               run's.
#
# Exit 77 (CTest: skipped) with a one-line reason without root, network namespaces, Open MPI or
# (for the Slurm scenarios) slurm-wlm and munge — except in CI (CI=true), where that is a failure.
set -euo pipefail

scenario="${1:?scenario}"
florenz="${2:?florenz binary}"
src="${3:?source folder}"
mpi_environment_test="${4:-}"

skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: in CI the multinode tests must run, but: $*"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}
log() { echo "multinode_test $scenario: $(date +%T) $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth pairs, mounts)"
command -v mpirun >/dev/null || skip "mpirun not found: scripts/install-deps installs Open MPI"
unshare --net --uts --mount true 2>/dev/null || skip "this kernel or container allows no network namespaces"
if [ "$scenario" = slurm ] || [ "$scenario" = node_crash ]; then
  for tool in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$tool" >/dev/null || skip "$tool not found: scripts/install-deps installs slurm-wlm and munge"
  done
fi

# The bed's own folder (not under /tmp, which every node replaces) and its own subnet.
export FLORENZ_BED_DIR="/var/tmp/florenz-bed-test-$scenario"
export FLORENZ_BED_SUBNET="10.213.$((100 + $(cksum <<<"$scenario" | cut -d' ' -f1) % 100))"
bed="$src/cluster/testbed/bed"
export PATH="$FLORENZ_BED_DIR/bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI reaches the other nodes through the bed's agent; a lost node ends mpirun in seconds.
export OMPI_MCA_plm_rsh_agent="$src/cluster/testbed/rsh"
export OMPI_MCA_oob_tcp_keepalive_time=2 OMPI_MCA_oob_tcp_keepalive_intvl=1
export OMPI_MCA_oob_tcp_keepalive_probes=3

"$bed" down >/dev/null 2>&1 || true  # a bed an earlier, killed test left
rm -rf "$FLORENZ_BED_DIR"
work="$FLORENZ_BED_DIR/shared/work"
passed=0
finish() {
  local code=$?
  if [ "$passed" != 1 ]; then
    echo "---- outputs ----"
    tail -n 30 "$work"/*.txt 2>/dev/null || true
    tail -n 30 "$work"/out/slurm/job-*.out 2>/dev/null || true
    tail -n 15 "$FLORENZ_BED_DIR"/slurm/log/slurm*.log 2>/dev/null || true
  fi
  "$bed" down >/dev/null 2>&1 || true
  if ! "$bed" check-clean; then
    echo "FAIL: the bed left something behind"
    code=1
  fi
  if [ "$passed" = 1 ] && [ "$code" = 0 ]; then
    rm -rf "$FLORENZ_BED_DIR"
  else
    echo "kept for inspection: $FLORENZ_BED_DIR"
  fi
  exit "$code"
}
trap finish EXIT

# The Slurm job runs on 3 nodes with the shipped profile cluster/testbed/bed.yaml; the others
# need 2.
nodes=2
if [ "$scenario" = slurm ]; then nodes=3; fi
"$bed" up "$nodes" || fail "the bed did not come up"
mkdir -p "$work"
cd "$work"
log "bed up: $("$bed" nodes | paste -sd' ') on $FLORENZ_BED_SUBNET.0/24"

# The grid: a 4-rank gang (tp = 2 × dp = 2) that must span both nodes, and 2-rank tp gangs.
# $1: budgets; $2: checkpoint interval.
write_grid() {
  cat >grid.yaml <<GRID
experiment: {name: multinode-$scenario}
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
    - {name: tp2, d_model: 16, layers: 1, heads: 2, ffn: 32, tensor_parallel: 2}
training:
  budgets: $1
  batch_size: 32
  log_interval: 5
evaluation: {interval: 1M, samples_per_pair: 16, metrics: [cross_entropy]}
execution: {checkpoint_interval: $2, threads: 1}
GRID
}

# The grid under mpirun from node1: $1 the hosts (node1:3,node2:2), $2 the results folder.
mpirun_grid() {
  "$bed" run node1 mpirun --host "$1" -np 5 "$florenz" run grid.yaml --out "$2"
}

# The final metrics of every run of results folder $1 (tests/cluster/final_metrics.py).
final_metrics() {
  "$florenz" collect "$1" >/dev/null || fail "florenz collect $1"
  /usr/bin/python3 "$src/tests/cluster/final_metrics.py" "$1/results.csv"
}

# Every run of $1 completed, with the final metrics of the one-node reference.
expect_reference_metrics() {
  final_metrics reference >reference.metrics
  final_metrics "$1" >"$1.metrics"
  [ "$(wc -l <reference.metrics)" = "$2" ] || fail "the reference has $(wc -l <reference.metrics) runs, not $2"
  diff reference.metrics "$1.metrics" || fail "final metrics of $1 differ from the one-node run's"
}

# Where each run's gang trained: every tp group (consecutive pairs in gang order) inside one
# node, and the 4-rank gangs on both nodes.
expect_placement() {
  local file hosts
  for file in "$1"/runs/*.h5; do
    hosts="$(h5dump -a /config/hosts "$file" | sed -n 's/.*(0): "\(.*\)".*/\1/p')"
    [ -n "$hosts" ] || fail "$file: no /config/hosts"
    IFS=, read -r -a h <<<"$hosts"
    case "$(basename "$file")" in
      gang4-*)
        [ "${#h[@]}" = 4 ] || fail "$file: hosts '$hosts', not 4"
        [ "${h[0]}" = "${h[1]}" ] && [ "${h[2]}" = "${h[3]}" ] || fail "$file: a tp group spans nodes ($hosts)"
        # With fewer than 4 worker ranks on each node, a 4-rank gang must span both.
        [ "${gang4_spans:-1}" = 0 ] || [ "${h[0]}" != "${h[2]}" ] ||
          fail "$file: a 4-rank gang on one node of 2 workers? ($hosts)"
        ;;
      tp2-*)
        [ "${#h[@]}" = 2 ] && [ "${h[0]}" = "${h[1]}" ] || fail "$file: a tp group spans nodes ($hosts)"
        ;;
    esac
  done
  log "placement: $(for f in "$1"/runs/*.h5; do h5dump -a /config/hosts "$f" | sed -n 's/.*(0): "\(.*\)".*/\1/p'; done | sort | uniq -c | paste -sd' ')"
}

case "$scenario" in
  mpi_layout)
    [ -x "$mpi_environment_test" ] || fail "no mpi_environment_test binary given"
    "$bed" run node1 mpirun --host node1:2,node2:2 -np 4 "$mpi_environment_test" >layout.txt 2>&1 ||
      fail "mpi_environment_test on 2 nodes × 2 ranks: $(tail -n 20 layout.txt)"
    grep -q "PASSED" layout.txt || fail "no PASSED in $(cat layout.txt)"
    ;;

  mpirun)
    write_grid "[1280, 2560]" 1M
    mpirun_grid node1:3,node2:2 out >run.txt 2>&1 || fail "florenz run on 2 nodes exited $?"
    grep -q "4 worker ranks" run.txt || fail "florenz run did not coordinate 4 worker ranks"
    mpirun_grid node1:5 reference >reference.txt 2>&1 || fail "the one-node run exited $?"
    expect_placement out
    expect_reference_metrics out 4
    ;;

  link_cut)
    # Long enough to be cut mid-run (about 10 s of training); a checkpoint every 640 samples.
    write_grid "[6400, 3200]" 640
    mpirun_grid node1:3,node2:2 out >run.txt 2>&1 &
    job=$!
    deadline=$((SECONDS + 120))
    until [ -n "$(find out/checkpoints -name 'checkpoint*.pt' 2>/dev/null)" ]; do
      [ $SECONDS -lt $deadline ] || fail "no checkpoint after 120 s"
      kill -0 "$job" 2>/dev/null || fail "the job ended before the cut: $(tail -n 5 run.txt)"
      sleep 0.5
    done
    log "cut node2 (checkpoints: $(cd out/checkpoints && echo *))"
    "$bed" cut node2
    cut_at=$SECONDS
    code=0
    wait "$job" || code=$?
    ended=$((SECONDS - cut_at))
    log "the job ended ${ended} s after the cut, exit code $code"
    [ "$ended" -le 60 ] || fail "the job took ${ended} s to end after the cut (bound: 60 s)"
    [ "$code" != 0 ] || fail "the job exited 0 with a node cut off"
    "$bed" heal node2
    # The leftovers of the cut-off node (its orted and ranks) are that node's to clean up, as a
    # rebooted node's would be.
    "$bed" crash node2 >/dev/null
    mpirun_grid node1:3,node2:2 out >resume.txt 2>&1 || fail "the resumed job exited $?: $(tail -n 5 resume.txt)"
    mpirun_grid node1:5 reference >reference.txt 2>&1 || fail "the one-node run exited $?"
    expect_placement out
    expect_reference_metrics out 4
    echo "$ended" >"$FLORENZ_BED_DIR/link_cut_seconds"
    ;;

  slurm | node_crash)
    eval "$("$bed" slurm-up)"
    # `slurm`: the shipped profile, 3 nodes × 2 tasks: rank 0 coordinates, 5 ranks train, a
    # 4-rank gang spans two nodes. `node_crash`: 2 nodes × 4 tasks, so that 2-rank gangs of node2
    # finish runs beside the long 4-rank one.
    profile="$src/cluster/testbed/bed.yaml"
    tasks=2
    if [ "$scenario" = node_crash ]; then
      tasks=4 gang4_spans=0 profile=bed2.yaml
      sed -e 's/^name: .*/name: bed-2-nodes/' -e 's/^nodes: .*/nodes: 2/' \
        -e 's/^tasks_per_node: .*/tasks_per_node: 4/' "$src/cluster/testbed/bed.yaml" >bed2.yaml
    fi
    if [ "$scenario" = slurm ]; then
      write_grid "[1280, 2560]" 1M
    else
      write_grid "[4800, 640, 1280]" 640
    fi
    "$bed" run node1 "$florenz" submit grid.yaml --cluster "$profile" --out out >submit.txt 2>&1 ||
      fail "florenz submit: $(cat submit.txt)"
    id="$(awk '!/^#/ {print $1}' out/slurm/jobs.txt)"
    grep -q -- "--nodes=$nodes" out/slurm/job-1.sbatch || fail "the script does not ask for $nodes nodes"
    log "submitted job $id"
    state_of() { "$bed" run node1 squeue -h -t all -j "$id" -o %T 2>/dev/null || true; }
    if [ "$scenario" = node_crash ]; then
      deadline=$((SECONDS + 180))
      until [ -n "$(find out/checkpoints -name 'checkpoint*.pt' 2>/dev/null)" ] &&
        [ "$(find out/runs -name '*.h5' | wc -l)" -ge 1 ]; do
        [ $SECONDS -lt $deadline ] || fail "the job never got mid-grid (state $(state_of))"
        sleep 0.5
      done
      mkdir -p before
      for f in out/runs/*.h5; do cp -p "$f" before/; done
      log "crash node2 (finished: $(ls before | paste -sd' '))"
      "$bed" crash node2
      crashed_at=$SECONDS
      deadline=$((SECONDS + 120))
      until "$bed" run node1 sinfo -h -n node2 -o %T | grep -q "down"; do
        [ $SECONDS -lt $deadline ] || fail "Slurm never marked node2 down"
        sleep 1
      done
      log "node2 down after $((SECONDS - crashed_at)) s; the job is $(state_of)"
      "$bed" slurmd node2
      log "node2's slurmd restarted"
    fi
    deadline=$((SECONDS + 400))
    state=""
    while [ $SECONDS -lt $deadline ]; do
      state="$(state_of)"
      case "$state" in
        COMPLETED) break ;;
        FAILED | CANCELLED | TIMEOUT | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE) fail "job $id ended $state" ;;
      esac
      sleep 1
    done
    [ "$state" = COMPLETED ] || fail "job $id not finished (state '$state')"
    log "job $id COMPLETED"
    "$bed" run node1 "$florenz" status out >status.txt 2>&1 || fail "florenz status: $(cat status.txt)"
    grep -q "$id" status.txt && grep -q "COMPLETED" status.txt || fail "florenz status did not read job $id: $(cat status.txt)"
    grep -q "one step of $((nodes * tasks)) tasks" out/slurm/job-1.out ||
      fail "the job did not run one step of $((nodes * tasks)) tasks"
    grep -q "$((nodes * tasks - 1)) worker ranks" out/slurm/job-1.out ||
      fail "florenz run did not coordinate $((nodes * tasks - 1)) worker ranks"
    "$bed" run node1 mpirun --host node1:6 -np 6 "$florenz" run grid.yaml --out reference \
      >reference.txt 2>&1 || fail "the one-node run exited $?"
    expect_placement out
    if [ "$scenario" = node_crash ]; then
      grep -q "(restart 1)" out/slurm/job-1.out || fail "the job did not restart"
      for f in before/*.h5; do
        cmp "$f" "out/runs/$(basename "$f")" || fail "$(basename "$f") changed after the crash"
      done
      expect_reference_metrics out 6
    else
      expect_reference_metrics out 4
    fi
    ;;

  *) fail "unknown scenario '$scenario'" ;;
esac
passed=1
log "passed"
