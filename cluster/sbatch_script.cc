// The sbatch script (see sbatch_script.h). The bash it writes is meant to be read by people
// who debug a job: short, commented, with one log line per event in the job's output file.
#include "cluster/sbatch_script.h"

#include <cstdio>
#include <sstream>

#include "cluster/shell_quote.h"
#include "core/errors.h"
#include "experiments/results_dir.h"

namespace florenz::cluster {
namespace {

void Require(const std::string& value, const char* chars, const std::string& what) {
  const std::string why = RejectReason(value, chars);
  if (why.empty()) return;
  std::string allowed = chars == nullptr ? "" : "; allowed: " + DescribeChars(chars);
  throw ConfigError(SourceLocation{what, 0, 0}, why + allowed);
}

void RequireAbsolute(const std::string& path, const std::string& what) {
  if (path.empty() || path[0] != '/') {
    throw ConfigError(SourceLocation{what, 0, 0}, "must be an absolute path");
  }
}

std::string LauncherWords(const SiteProfile& profile) {
  std::string words;
  switch (profile.launcher.kind) {
    case LauncherKind::kSrun:
      words = "srun";
      if (!profile.launcher.mpi.empty()) words += " --mpi=" + profile.launcher.mpi;
      break;
    case LauncherKind::kMpirun:
      words = "mpirun";
      break;
    case LauncherKind::kNone:
      return "";
  }
  for (const auto& arg : profile.launcher.args) words += " " + ShellQuote(arg);
  return words;
}

// Seconds Open MPI's mpirun waits between SIGTERM and SIGKILL of its ranks (its default is 1).
constexpr int kMpirunSigkillTimeoutSeconds = 30;

// The part of the script that does not depend on the profile or the job.
constexpr const char* kFunctions = R"BASH(log() { echo "florenz-job: $(date '+%F %T') $*"; }
step_pid=""
warned=0
terminated=0
forward() { if [ -n "$step_pid" ]; then kill -s "$1" "$step_pid" 2>/dev/null || true; fi; }
# Slurm's warning before the time limit (--signal=B:USR2@lead reaches this shell only): ask
# florenz to checkpoint now; it exits with $requeue_code and the job requeues itself.
on_warning() {
  warned=1
  log "SIGUSR2: the time limit is near; florenz checkpoints and the job requeues"
  forward USR2
}
# scancel, or a requeue or preemption by Slurm: florenz checkpoints on SIGTERM too, but Slurm
# decides what happens to the job, so it is not requeued from here.
on_terminate() {
  terminated=1
  log "SIGTERM: stopped by Slurm; florenz checkpoints"
  forward TERM
}
trap on_warning USR2
trap on_terminate TERM
requeue() {
  log "requeueing job ${SLURM_JOB_ID:-?}: $1"
  if scontrol requeue "${SLURM_JOB_ID:-none}"; then exit 0; fi
  log "scontrol requeue failed; run this job's script again to resume"
  exit "$requeue_code"
}
# Runs a job step ("$@") in the background, where the traps above can signal it, and sets
# `status` to its exit code. A trapped signal ends `wait` early (status > 128) while the step
# goes on: wait again.
run_step() {
  "$@" &
  step_pid=$!
  wait "$step_pid"
  status=$?
  while [ "$status" -gt 128 ] && kill -0 "$step_pid" 2>/dev/null; do
    wait "$step_pid"
    status=$?
  done
  if [ "$status" -gt 128 ]; then
    wait "$step_pid" 2>/dev/null
    local again=$?
    if [ "$again" != 127 ]; then status=$again; fi
  fi
  step_pid=""
}
# The nodes of this job that no longer answer, space-separated: after a step that ended for no
# reason of florenz's own, a one-task step on each node, all at once, each given a minute (a
# node that crashed or lost its link fails or times out; Slurm may take minutes to mark it down).
lost_nodes() {
  [ "${SLURM_JOB_NUM_NODES:-1}" -gt 1 ] || return 0
  local node i lost=() nodes=() pids=()
  for node in $(scontrol show hostnames "${SLURM_JOB_NODELIST:-}" 2>/dev/null); do
    timeout -k 5 60 srun --nodes=1 --ntasks=1 --ntasks-per-node=1 --nodelist="$node" \
      --mpi=none true >/dev/null 2>&1 &
    pids+=("$!")
    nodes+=("$node")
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || lost+=("${nodes[$i]}"); done
  echo "${lost[*]}"
}
)BASH";

// The loop over the job's runs; it follows the modules and the environment.
constexpr const char* kLoop = R"BASH(

log "job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on $(hostname): ${#runs[@]} runs"
failed=0
for run in "${runs[@]}"; do
  if [ "$terminated" = 1 ]; then exit "$requeue_code"; fi
  if [ "$warned" = 1 ]; then requeue "warned before run $run could start"; fi
  log "run $run"
  run_step "${launch[@]}" "$florenz" run "$grid" --out "$out" --only "$run"
  case "$status" in
    0) ;;
    "$runs_failed_code") failed=1 ;;
    "$requeue_code")
      if [ "$terminated" = 1 ]; then
        log "florenz checkpointed $run; Slurm ends the job"
        exit "$requeue_code"
      fi
      requeue "florenz checkpointed $run and asked for it (exit $requeue_code)"
      ;;
    *)
      if [ "$terminated" = 1 ]; then
        log "florenz run exited $status on $run after Slurm's SIGTERM; Slurm ends the job"
      else
        log "florenz run exited $status on $run; the job stops"
      fi
      exit "$status"
      ;;
  esac
done
log "every run of this job is finished"
if [ "$failed" = 1 ]; then exit "$runs_failed_code"; fi
exit 0
)BASH";

// With more than one task: one job step for the whole share. Its rank 0 coordinates and the
// other ranks train the runs in gangs (docs/orchestrator.md); the step's exit code is the
// job's, as for one run above.
constexpr const char* kStep = R"BASH(

log "job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on $(hostname): ${#runs[@]} runs in one step of ${SLURM_NTASKS:-?} tasks"
if [ "$terminated" = 1 ]; then exit "$requeue_code"; fi
if [ "$warned" = 1 ]; then requeue "warned before the step could start"; fi
only="$(IFS=,; echo "${runs[*]}")"
run_step "${launch[@]}" "$florenz" run "$grid" --out "$out" --only "$only"
# A launcher that lost tasks may still exit 0 (srun, when a node fails the step's launch):
# trust the run files, not the code. A finished run is exactly runs/<id>.h5.
if [ "$status" = 0 ] || [ "$status" = "$runs_failed_code" ]; then
  unfinished=()
  for run_id in "${runs[@]}"; do [ -f "$out/runs/$run_id.h5" ] || unfinished+=("$run_id"); done
  if [ "${#unfinished[@]}" -gt 0 ]; then
    log "the step exited $status but ${#unfinished[@]} runs are not finished (${unfinished[*]}): its launcher lost tasks"
    status=1
  fi
fi
case "$status" in
  0)
    log "every run of this job is finished"
    exit 0
    ;;
  "$runs_failed_code")
    log "every run of this job is finished; some failed"
    exit "$runs_failed_code"
    ;;
  "$requeue_code")
    if [ "$terminated" = 1 ]; then
      log "florenz checkpointed its runs; Slurm ends the job"
      exit "$requeue_code"
    fi
    requeue "florenz checkpointed its runs and asked for it (exit $requeue_code)"
    ;;
  *)
    if [ "$terminated" = 1 ]; then
      log "florenz run exited $status after Slurm's SIGTERM; Slurm ends the job"
      exit "$status"
    fi
    lost="$(lost_nodes)"
    if [ -n "$lost" ]; then
      requeue "the step ended with $status and node(s) $lost of this job no longer answer; the runs resume from their checkpoints"
    fi
    log "florenz run exited $status; the job stops"
    exit "$status"
    ;;
esac
)BASH";

}  // namespace

std::string SlurmTime(int64_t seconds) {
  char text[48];
  const int64_t days = seconds / 86400, rest = seconds % 86400;
  if (days > 0) {
    std::snprintf(text, sizeof(text), "%lld-%02lld:%02lld:%02lld", static_cast<long long>(days),
                  static_cast<long long>(rest / 3600), static_cast<long long>(rest % 3600 / 60),
                  static_cast<long long>(rest % 60));
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", static_cast<long long>(rest / 3600),
                  static_cast<long long>(rest % 3600 / 60), static_cast<long long>(rest % 60));
  }
  return text;
}

namespace {

// Every value of `job` and `profile` that reaches the script, checked: what reaches #SBATCH
// lines keeps to kSbatchChars, since sbatch splits those lines itself. (The profile's own
// values were checked when it was loaded; checked again here, since rendering is the last gate
// before the text.) A profile of several tasks must start them as one MPI job.
void CheckJob(const SiteProfile& profile, const SbatchJob& job) {
  Require(job.experiment, kNameChars, "experiment name '" + job.experiment + "'");
  RequireAbsolute(job.out, "results folder '" + job.out + "'");
  Require(job.out, kSbatchChars,
          "results folder '" + job.out + "' (it appears on #SBATCH --output lines)");
  RequireAbsolute(job.florenz, "florenz binary '" + job.florenz + "'");
  Require(job.florenz, nullptr, "florenz binary path");
  RequireAbsolute(job.grid, "grid file '" + job.grid + "'");
  Require(job.grid, nullptr, "grid file path");
  if (job.run_ids.empty()) {
    throw ConfigError(SourceLocation{"job " + std::to_string(job.index), 0, 0}, "has no runs");
  }
  for (const auto& id : job.run_ids) {
    Require(id, kNameChars, "run id '" + id + "'");
    if (id[0] == '.' || id[0] == '-') {
      throw ConfigError(SourceLocation{"run id '" + id + "'", 0, 0}, "must not start with . or -");
    }
  }
  for (const char* value : {profile.partition.c_str(), profile.account.c_str(), profile.qos.c_str(),
                            profile.memory.c_str()}) {
    if (*value != '\0') Require(value, kSbatchChars, std::string("profile value '") + value + "'");
  }

  if (profile.tasks() > 1) {
    // Several tasks must form one MPI job, or each would train the same runs into the same
    // files as a process of its own.
    const std::string tasks = "nodes × tasks_per_node = " + std::to_string(profile.tasks());
    if (profile.launcher.kind == LauncherKind::kNone) {
      throw ConfigError(SourceLocation{"launcher", 0, 0},
                        "kind none starts one process, but " + tasks +
                            "; use srun (with PMIx or PMI2) or mpirun");
    }
    if (profile.launcher.kind == LauncherKind::kSrun && profile.launcher.mpi == "none") {
      throw ConfigError(SourceLocation{"launcher", 0, 0},
                        "srun --mpi=none starts " + std::to_string(profile.tasks()) +
                            " unconnected processes (" + tasks +
                            "); use mpi: pmix or pmi2, or kind: mpirun");
    }
  }
}

// The #SBATCH lines: name, resources, time, requeue on USR2, the log file and the folder.
void WriteSbatchLines(const SiteProfile& profile, const SbatchJob& job, std::ostream& s) {
  const std::string k = std::to_string(job.index);
  const std::string log_file = (ResultsDir(job.out).SlurmDir() / ("job-" + k + ".out")).string();
  s << (profile.modules.empty() ? "#!/bin/bash\n" : "#!/bin/bash -l\n");
  s << "#SBATCH --job-name=florenz-" << job.experiment << "-" << k << "\n";
  if (!profile.partition.empty()) s << "#SBATCH --partition=" << profile.partition << "\n";
  if (!profile.account.empty()) s << "#SBATCH --account=" << profile.account << "\n";
  if (!profile.qos.empty()) s << "#SBATCH --qos=" << profile.qos << "\n";
  s << "#SBATCH --nodes=" << profile.nodes << "\n";
  s << "#SBATCH --ntasks-per-node=" << profile.tasks_per_node << "\n";
  s << "#SBATCH --cpus-per-task=" << profile.cpus_per_task << "\n";
  if (profile.gpus_per_node > 0) s << "#SBATCH --gres=gpu:" << profile.gpus_per_node << "\n";
  if (!profile.memory.empty()) s << "#SBATCH --mem=" << profile.memory << "\n";
  s << "#SBATCH --time=" << SlurmTime(profile.time_limit.seconds) << "\n";
  s << "#SBATCH --requeue\n";
  s << "#SBATCH --signal=B:USR2@" << profile.warning_lead.seconds << "\n";
  s << "#SBATCH --open-mode=append\n";
  s << "#SBATCH --output=" << log_file << "\n";
  s << "#SBATCH --error=" << log_file << "\n";
  s << "#SBATCH --chdir=" << job.out << "\n";
  for (const auto& option : profile.sbatch_options) {
    Require(option, kSbatchOptionChars, "sbatch option '" + option + "'");
    s << "#SBATCH " << option << "\n";
  }
}

// The comment that says what the job does, with one step or one step per run.
void WriteDescription(const SiteProfile& profile, const SbatchJob& job, std::ostream& s) {
  const std::string k = std::to_string(job.index);
  const bool one_step = profile.tasks() > 1;
  s << "#\n"
    << "# florenz job " << k << " of " << job.count << " of experiment '" << job.experiment
    << "'\n# (site profile '" << profile.name << "'), written by `florenz submit`.\n";
  if (one_step) {
    s << "# Runs its share of the grid as one step of " << profile.tasks()
      << " tasks: `florenz run --only id1,id2,...`, whose rank 0\n"
      << "# coordinates and whose other ranks train the runs in gangs; finished runs are "
         "skipped.\n"
      << "# On SIGUSR2, " << profile.warning_lead.seconds
      << " s before the time limit, every gang checkpoints and the job\n"
      << "# requeues itself; its next start resumes the interrupted runs from their "
         "checkpoints.\n";
  } else {
    s << "# Runs its share of the grid with `florenz run --only`, one run after another; "
         "finished\n"
      << "# runs are skipped. On SIGUSR2, " << profile.warning_lead.seconds
      << " s before the time limit, florenz checkpoints and the job\n"
      << "# requeues itself; its next start resumes the interrupted run from the checkpoint.\n";
  }
}

// The shell variables, functions, modules and environment the launch lines use.
void WriteEnvironment(const SiteProfile& profile, const SbatchJob& job, std::ostream& s) {
  s << "set -u\n";
  s << "florenz=" << ShellQuote(job.florenz) << "\n";
  s << "grid=" << ShellQuote(job.grid) << "\n";
  s << "out=" << ShellQuote(job.out) << "\n";
  s << "runs=(";
  for (size_t i = 0; i < job.run_ids.size(); ++i) {
    s << (i == 0 ? "" : " ") << ShellQuote(job.run_ids[i]);
  }
  s << ")\n";
  s << "launch=(" << LauncherWords(profile) << ")\n";
  s << "requeue_code=" << kExitRequeue << "\n";
  s << "runs_failed_code=" << kExitRunsFailed << "\n";
  s << kFunctions;
  for (const auto& module : profile.modules) {
    Require(module, nullptr, "module '" + module + "'");
    s << "module load " << ShellQuote(module) << " || { log \"module load failed\"; exit 1; }\n";
  }
  if (profile.environment.count("OMP_NUM_THREADS") == 0) {
    s << "export OMP_NUM_THREADS=" << profile.cpus_per_task << "\n";
  }
  for (const auto& [name, value] : profile.environment) {
    Require(name, "_", "environment variable name '" + name + "'");
    if (!value.empty()) Require(value, nullptr, "environment." + name);
    s << "export " << name << "=" << ShellQuote(value) << "\n";
  }
  if (profile.launcher.kind == LauncherKind::kMpirun &&
      profile.environment.count("OMPI_MCA_odls_base_sigkill_timeout") == 0) {
    // Measured in the multitask_preemption Slurm test: with Open MPI's default of 1 s the
    // ranks were killed before they could checkpoint.
    s << "# Open MPI's mpirun gives its ranks 1 s from SIGTERM to SIGKILL; florenz needs longer\n"
         "# to checkpoint when Slurm stops the job (Slurm's KillWait still bounds the wait).\n"
         "export OMPI_MCA_odls_base_sigkill_timeout="
      << kMpirunSigkillTimeoutSeconds << "\n";
  }
  if (profile.launcher.kind == LauncherKind::kMpirun && profile.nodes > 1 &&
      profile.environment.count("OMPI_MCA_oob_tcp_keepalive_time") == 0) {
    // Measured on the multinode test bed (docs/cluster.md, "When a node dies"): without
    // keepalive, mpirun waits for a silently lost node for more than ten minutes.
    s << "# A node lost without a word (power, cable) ends mpirun within seconds: Open MPI's\n"
         "# out-of-band TCP keepalive probes each node's daemon after 2 s of silence.\n"
         "export OMPI_MCA_oob_tcp_keepalive_time=2 OMPI_MCA_oob_tcp_keepalive_intvl=1 "
         "OMPI_MCA_oob_tcp_keepalive_probes=3\n";
  }
}

}  // namespace

std::string RenderSbatchScript(const SiteProfile& profile, const SbatchJob& job) {
  CheckJob(profile, job);
  std::ostringstream s;
  WriteSbatchLines(profile, job, s);
  WriteDescription(profile, job, s);
  WriteEnvironment(profile, job, s);
  s << (profile.tasks() > 1 ? kStep : kLoop);
  return s.str();
}

}  // namespace florenz::cluster
