#!/usr/bin/env bash
# The `slurm` tests: `florenz submit` against a real single-node Slurm that
# cluster/local/start brings up in a private folder (and a trap stops, pass or fail).
#
#   tests/cluster/slurm_test.sh quickstart|preemption|time_limit|multitask|multitask_preemption \
#     FLORENZ_BIN SOURCE_DIR
#
#   quickstart   a quickstart-shaped grid (2 sizes × 2 budgets, tiny models) in 2 jobs: every
#                run finishes, jobs.txt lists both jobs, `florenz collect` works.
#   preemption   `scontrol requeue` while the second run trains: florenz checkpoints on
#                SIGTERM, the job restarts, resumes, and every final metric equals that of an
#                unpreempted run of the same grid.
#   time_limit   a 1-minute time limit with a 10 s warning: Slurm's SIGUSR2 reaches florenz,
#                which checkpoints; the job requeues itself and completes in a later allocation.
#   multitask    a profile of 1 node × 3 tasks with the mpirun launcher: the job runs its whole
#                share as one step (`florenz run --only id1,...`), rank 0 coordinates and two
#                worker ranks train; every run finishes. The node claims 4 CPUs
#                (FLORENZ_SLURM_CPUS) so 3 tasks fit on a 2-core machine.
#   multitask_preemption  the multitask job requeued mid-grid: the ranks checkpoint, the job
#                restarts and resumes, and the final metrics equal an unpreempted run's.
#
# Exit 77 (CTest: skipped) with a one-line reason without root or without slurm-wlm and
# munge — except in CI (CI=true), where the tests must run and that is a failure.
set -euo pipefail

scenario="${1:?scenario}"
florenz="${2:?florenz binary}"
src="${3:?source folder}"

skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: in CI the slurm tests must run, but: $*"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (munged and slurmd run as root)"
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null ||
    skip "$tool not found: scripts/install-deps installs slurm-wlm and munge"
done

work="$(mktemp -d /tmp/florenz-slurm-test.XXXXXX)"
cluster="$work/c"
out="$work/out"
passed=0
finish() {
  "$src/cluster/local/stop" "$cluster" >/dev/null 2>&1 || true
  if [ "$passed" = 1 ]; then
    rm -rf "$work"
  else
    echo "---- job logs ($out/slurm) ----"
    tail -n 40 "$out"/slurm/job-*.out 2>/dev/null || true
    echo "---- slurmctld log ----"
    tail -n 20 "$cluster/log/slurmctld.log" 2>/dev/null || true
    echo "kept for inspection: $work"
  fi
}
trap finish EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}
log() { echo "slurm_test $scenario: $(date +%T) $*"; }

if [ "$scenario" = multitask ] || [ "$scenario" = multitask_preemption ]; then
  command -v mpirun >/dev/null || skip "mpirun not found: scripts/install-deps installs Open MPI"
  export FLORENZ_SLURM_CPUS=4
fi
eval "$("$src/cluster/local/start" "$cluster")"
log "Slurm up (SLURM_CONF=$SLURM_CONF)"

# A grid with the quickstart's data and coverage, but tiny models and budgets: $1 sizes (YAML
# list), $2 budgets, $3 checkpoint interval.
write_grid() {
  cat >"$work/grid.yaml" <<GRID
experiment: {name: slurm-$scenario}
data:
  image: symbolic
  image_noise: 0.3
  max_caption_tokens: 24
  languages: [en, de, es, zh]
  coverage:
    caption: {en: train, de: train, es: eval, zh: eval}
    translate: {de: train, es: train, zh: train}
model:
  vocab_size: 512
  sizes: $1
training:
  budgets: $2
  batch_size: 32
  log_interval: 10
evaluation: {interval: 1M, samples_per_pair: 16, metrics: [cross_entropy]}
execution: {checkpoint_interval: $3, threads: 1}
GRID
}

# A profile of 1 node × 3 tasks launched by mpirun: one coordinator and two worker ranks.
write_mpi_profile() {
  cat >"$work/mpi.yaml" <<PROFILE
name: local-mpi
partition: local
nodes: 1
tasks_per_node: 3
cpus_per_task: 1
memory: 3G
time_limit: "0:10:00"
warning_lead: 60
environment:
  OMPI_ALLOW_RUN_AS_ROOT: "1"
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1"
  OMPI_MCA_rmaps_base_oversubscribe: "1"
  OMPI_MCA_hwloc_base_binding_policy: none
  OMPI_MCA_btl_vader_single_copy_mechanism: none
launcher:
  kind: mpirun
PROFILE
}

# Submits, checks the output, and sets job_ids.
submit() {
  "$florenz" submit "$work/grid.yaml" --cluster "$1" --out "$out" "${@:2}" >"$work/submit.txt" 2>&1 ||
    fail "florenz submit exited $?: $(cat "$work/submit.txt")"
  job_ids="$(awk '!/^#/ {print $1}' "$out/slurm/jobs.txt")"
  [ -n "$job_ids" ] || fail "no job ids in $out/slurm/jobs.txt"
  for id in $job_ids; do
    grep -q -- "-> job $id" "$work/submit.txt" || fail "submit did not print job id $id"
  done
  log "submitted jobs $(echo $job_ids)"
}

state_of() { squeue -h -t all -j "$1" -o %T 2>/dev/null || true; }

# Waits (at most $2 seconds) until job $1 has ended; fails unless it COMPLETED.
wait_completed() {
  local id="$1" deadline=$((SECONDS + $2)) state=""
  while [ $SECONDS -lt $deadline ]; do
    state="$(state_of "$id")"
    case "$state" in
      COMPLETED) log "job $id COMPLETED"; return 0 ;;
      FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        fail "job $id ended $state" ;;
    esac
    sleep 1
  done
  fail "job $id not finished after $2 s (state '$state')"
}

# Every run of the grid finished and completed (no .partial left), and collect works.
check_all_finished() {
  local expected
  expected="$("$florenz" validate "$work/grid.yaml" --json | grep -o '"id": *"[^"]*"' | wc -l)"
  [ "$expected" -gt 0 ] || fail "cannot count the grid's runs"
  local finished
  finished="$(find "$out/runs" -name '*.h5' | wc -l)"
  [ "$finished" = "$expected" ] || fail "$finished of $expected runs finished"
  [ -z "$(find "$out/runs" -name '*.partial')" ] || fail "a .partial is left in $out/runs"
  "$florenz" collect "$out" >"$work/collect.txt" 2>&1 || fail "florenz collect: $(cat "$work/collect.txt")"
  grep -q "$expected runs ($expected completed, 0 failed)" "$work/collect.txt" ||
    fail "collect: $(cat "$work/collect.txt")"
  [ "$(($(wc -l <"$out/results.csv") - 1))" = "$expected" ] || fail "results.csv rows"
}

# The final metrics of every run of results folder $1 (tests/cluster/final_metrics.py).
final_metrics() { /usr/bin/python3 "$src/tests/cluster/final_metrics.py" "$1/results.csv"; }

# The same grid without Slurm and without interruption, in $work/reference.
run_reference() {
  "$florenz" run "$work/grid.yaml" --out "$work/reference" >"$work/reference.txt" 2>&1 ||
    fail "reference run: $(tail -n 5 "$work/reference.txt")"
}

# Every final metric of the $1 runs in $out equals that of the reference run.
expect_reference_metrics() {
  "$florenz" collect "$work/reference" >/dev/null
  final_metrics "$work/reference" >"$work/reference.metrics"
  final_metrics "$out" >"$work/preempted.metrics"
  [ "$(wc -l <"$work/reference.metrics")" = "$1" ] || fail "reference metrics"
  diff "$work/reference.metrics" "$work/preempted.metrics" ||
    fail "final metrics of the preempted job differ from the unpreempted run's"
}

case "$scenario" in
  quickstart)
    write_grid "[{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}, {name: b, d_model: 24, layers: 1, heads: 2, ffn: 48}]" \
      "[4000, 8000]" 2000
    submit "$src/cluster/profiles/local.yaml" --jobs 2
    [ "$(echo $job_ids | wc -w)" = 2 ] || fail "expected 2 jobs, got: $job_ids"
    [ -f "$out/slurm/job-1.sbatch" ] && [ -f "$out/slurm/job-2.sbatch" ] || fail "scripts missing"
    for id in $job_ids; do wait_completed "$id" 240; done
    check_all_finished
    grep -q "every run of this job is finished" "$out/slurm/job-1.out" || fail "job 1 log"
    ;;

  preemption)
    # Two runs of ~15 s each; interval checkpoints only every 4000 samples.
    write_grid "[{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}]" "[24000, 32000]" 4000
    submit "$src/cluster/profiles/local.yaml"
    id="$job_ids"
    # Mid-grid: the first run is committed and the second one has trained a while.
    deadline=$((SECONDS + 180))
    until [ "$(find "$out/runs" -name '*.h5' 2>/dev/null | wc -l)" = 1 ] &&
      [ -n "$(find "$out/runs" -name '*.h5.partial' 2>/dev/null)" ]; do
      [ $SECONDS -lt $deadline ] || fail "the job never got to its second run"
      sleep 0.5
    done
    sleep 3
    log "scontrol requeue $id (mid-grid)"
    scontrol requeue "$id"
    # Meanwhile, the same grid without Slurm and without interruption.
    run_reference
    wait_completed "$id" 240
    log_file="$out/slurm/job-1.out"
    grep -q "stopped by SIGTERM after step" "$log_file" || fail "florenz did not checkpoint on SIGTERM"
    grep -q "(restart 1)" "$log_file" || fail "the job did not restart"
    grep -q "finished earlier, skipped" "$log_file" || fail "the restarted job redid run 1"
    check_all_finished
    expect_reference_metrics 2
    ;;

  time_limit)
    # 1 minute per allocation, warned 10 s before (Slurm checks every 30 s, so the warning
    # comes 20-50 s in). One run of 70-80 s here (about 2,700 samples/s): the warning always
    # lands mid-run, never between two runs (with two shorter runs it once came as the first
    # finished, and no checkpoint was needed).
    sed -e 's/^time_limit:.*/time_limit: 60/' -e 's/^warning_lead:.*/warning_lead: 10/' \
      -e 's/^name: local/name: local-short/' "$src/cluster/profiles/local.yaml" >"$work/short.yaml"
    write_grid "[{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}]" "[200000]" 40000
    submit "$work/short.yaml"
    id="$job_ids"
    wait_completed "$id" 280
    log_file="$out/slurm/job-1.out"
    grep -q "SIGUSR2: the time limit is near" "$log_file" || fail "no warning reached the job"
    grep -q "stopped by SIGUSR2 after step" "$log_file" || fail "florenz did not checkpoint on SIGUSR2"
    grep -q "requeueing job $id" "$log_file" || fail "the job did not requeue itself"
    grep -q "(restart 1)" "$log_file" || fail "the job did not restart"
    grep -q "TIME LIMIT" "$log_file" && fail "the job hit its time limit"
    check_all_finished
    ;;

  multitask)
    write_mpi_profile
    write_grid "[{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}, {name: b, d_model: 24, layers: 1, heads: 2, ffn: 48}]" \
      "[4000, 8000]" 2000
    submit "$work/mpi.yaml"
    id="$job_ids"
    script="$out/slurm/job-1.sbatch"
    [ "$(grep -c '"${launch\[@\]}"' "$script")" = 1 ] || fail "expected one launcher line in $script"
    grep -q '^launch=(mpirun)$' "$script" || fail "the script does not launch with mpirun"
    wait_completed "$id" 150
    log_file="$out/slurm/job-1.out"
    grep -q "4 runs in one step of 3 tasks" "$log_file" || fail "the job did not run one step of 3 tasks"
    grep -q "2 worker ranks" "$log_file" || fail "florenz run did not coordinate 2 worker ranks"
    grep -q "every run of this job is finished" "$log_file" || fail "job log"
    check_all_finished
    ;;

  multitask_preemption)
    # The multi-task job of `multitask` preempted mid-grid: Slurm's SIGTERM reaches mpirun and
    # every rank, the coordinator stops assigning, the training gangs checkpoint (the only
    # checkpoints this grid can write mid-run: its interval is larger than any budget), the job
    # restarts and resumes, and every final metric equals an unpreempted run's.
    write_mpi_profile
    write_grid "[{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}]" "[16000, 24000, 32000]" 1000000
    submit "$work/mpi.yaml"
    id="$job_ids"
    # Mid-grid: one run committed while another trains.
    deadline=$((SECONDS + 180))
    until [ "$(find "$out/runs" -name '*.h5' 2>/dev/null | wc -l)" -ge 1 ] &&
      [ -n "$(find "$out/runs" -name '*.h5.partial' 2>/dev/null)" ]; do
      [ $SECONDS -lt $deadline ] || fail "the job never got mid-grid"
      sleep 0.5
    done
    sleep 1
    log "scontrol requeue $id (mid-grid, 3 tasks)"
    scontrol requeue "$id"
    deadline=$((SECONDS + 20))
    until [ -n "$(find "$out/checkpoints" -name checkpoint.pt 2>/dev/null)" ]; do
      [ $SECONDS -lt $deadline ] || fail "no gang checkpointed on Slurm's SIGTERM"
      sleep 0.5
    done
    log "checkpointed on SIGTERM: $(cd "$out/checkpoints" && echo *)"
    run_reference
    wait_completed "$id" 240
    log_file="$out/slurm/job-1.out"
    # (What the ranks print after the SIGTERM may be lost: mpirun is shutting its output down.)
    grep -q "SIGTERM: stopped by Slurm" "$log_file" || fail "the job script did not see the SIGTERM"
    grep -q "(restart 1)" "$log_file" || fail "the job did not restart"
    grep -q "finished earlier, skipped" "$log_file" || fail "the restarted job redid a finished run"
    check_all_finished
    [ -z "$(find "$out/checkpoints" -name checkpoint.pt 2>/dev/null)" ] ||
      fail "a checkpoint is left after every run finished"
    expect_reference_metrics 3
    ;;

  *) fail "unknown scenario '$scenario'" ;;
esac
passed=1
log "passed"
