// The coordinator's event loop (coordinator.h): schedule, assign, receive, and print.
#include "orchestrator/coordinator.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "core/strings.h"
#include "experiments/run_file_reader.h"
#include "experiments/run_lock.h"
#include "orchestrator/cluster_shape.h"
#include "orchestrator/run_cost.h"
#include "orchestrator/scheduler.h"
#include "orchestrator/worker_loop.h"
#include "parallel/mpi_check.h"
#include "workers/train/stop_request.h"
#include "workers/train/trainer.h"

namespace florenz {
namespace {

using Clock = std::chrono::steady_clock;

// M:SS of an ETA; "-" for one that says nothing (not finite, or beyond a century: a budget
// no run reaches at its rate), never a negative or overflowed number.
std::string Clock2(double seconds) {
  if (!std::isfinite(seconds) || seconds > 3.2e9) return "-";
  char buffer[32];
  const auto s = static_cast<long long>(std::max(0.0, seconds) + 0.5);
  std::snprintf(buffer, sizeof(buffer), "%lld:%02lld", s / 60, s % 60);
  return buffer;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

}  // namespace

ClusterShape DetectJobShape(const Job& job, int world_size) {
  if (world_size == 1) return ClusterShape::Embedded();
  MPI_Comm shared = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split_type(job.comm, MPI_COMM_TYPE_SHARED, job.rank, MPI_INFO_NULL, &shared));
  int node_leader = job.rank;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &node_leader, 1, MPI_INT, MPI_MIN, shared));
  MPI_Comm_free(&shared);
  std::vector<int> leaders(world_size);
  MPI_CHECK(MPI_Gather(&node_leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, 0, job.comm));
  if (job.rank != 0) return ClusterShape::Embedded();  // only rank 0 places gangs
  std::map<int, int> node_of_leader;
  std::vector<WorkerRank> workers;
  for (int r = 1; r < world_size; ++r) {
    const int node = node_of_leader.emplace(leaders[r], node_of_leader.size()).first->second;
    workers.push_back(WorkerRank{r, node});
  }
  return ClusterShape(workers);
}

namespace {

class Coordinator {
 public:
  Coordinator(const Job& job, int world_size, const ClusterShape& shape)
      : job_(job), world_size_(world_size), scheduler_(shape), started_(Clock::now()) {}

  int Run();
  std::vector<int> lost_ranks() const { return {lost_.begin(), lost_.end()}; }
  // A gang some of whose members never left a failed run: the job must end (exit 4).
  bool stuck() const { return stuck_; }

 private:
  struct Row {
    std::string status, metric;
  };
  // A gang's members leaving a run: who has, since when, and the outcome to act on.
  struct Ending {
    std::set<int> left;
    double since = 0;
    std::optional<Message> outcome;
    int outcome_source = -1;
  };
  double Now() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  bool embedded() const { return world_size_ == 1; }
  std::string Tag(int run) const {
    return "[" + std::to_string(run + 1) + "/" + std::to_string(job_.runs.size()) + "] " +
           job_.runs[run]->id;
  }
  void Submit();
  // What an earlier command left for run `i`: false when the run is not to be trained (finished,
  // failed, unreadable: reported), true when it is (its file set aside when asked to).
  bool ShouldTrain(int i);
  // Sets the run's committed file aside (--retry-failed, --retrain) under its lock; false when
  // another process holds the lock.
  bool SetAside(int i, const std::string& why);
  // Under the run's lock: an unreadable .partial (or the previous attempt's) is set aside and
  // the run restarts from step 0, so a damaged snapshot never blocks the grid.
  void RepairPartial(int i);
  void Start(const Placement& placement);
  void Handle(const Message& message, int source);
  // Records that `source` left `run` with `message`; true once every member of the gang has
  // left, with the outcome to act on in `outcome` (a failing member's own reason first).
  bool Left(int run, const Message& message, int source, Message* outcome);
  // Gangs whose first member left more than execution.collective_timeout (plus a grace) ago
  // while others never did: they are stuck in a collective MPI cannot cancel.
  void CheckEndings();
  void OnProgress(const Progress& progress);
  // Budget branching: a branch waits (out of the scheduler) while its trunk is in this job and
  // has not written its checkpoint; it is submitted when the trunk says it has.
  bool WaitsForTrunk(int branch, const std::vector<char>& trains) const;
  void SubmitRun(int run);
  void OnBranchReady(const BranchReady& ready);
  // The trunk ended: its branches still waiting are submitted (Done: they train from step 0
  // without a checkpoint) or recorded failed with `trunk_failure` (it failed for good).
  void ReleaseBranches(int trunk, const std::string* trunk_failure);
  void OnDone(const Done& done);
  void OnInterrupted(const Interrupted& interrupted);
  void OnStorageFailed(const StorageFailed& failure);
  void OnFailed(const Failed& failure);
  void CheckHeartbeats();
  void RecordFailed(int run, const std::string& reason);
  void PrintProgress(bool force);
  void ClearLine();
  int Finish();

  const Job& job_;
  int world_size_;
  Scheduler scheduler_;
  Clock::time_point started_;
  std::map<std::string, int> index_;         // run id → index in job_.runs
  std::map<int, int> failures_;              // run → failed attempts so far
  std::map<int, double> last_heard_;         // running run → when its gang last spoke
  std::map<int, std::vector<int>> gang_;     // running run → its ranks
  std::map<int, Ending> ending_;             // running run → members that left it
  std::map<int, Row> rows_;                  // runs that reached an end
  std::map<int, RunLock> locks_;             // runs this job trains: their one-writer locks
  std::set<int> lost_;                       // silent world ranks
  std::map<int, std::vector<int>> waiting_;  // trunk → its branches not yet submitted
  int done_ = 0, failed_ = 0, interrupted_ = 0, tags_ = 0, unreadable_ = 0, elsewhere_ = 0;
  std::string storage_error_;  // the first write the results store could not make
  bool stopping_ = false;
  bool stuck_ = false;
  double last_print_ = -1;
  bool line_open_ = false;
  int pause_ = 20;  // µs between polls when nothing arrived
};

bool Coordinator::SetAside(int i, const std::string& why) {
  const std::string& id = job_.runs[i]->id;
  std::string holder;
  auto lock = RunLock::TryAcquire(*job_.results, id, &holder);
  if (!lock) {
    std::cout << Tag(i) << ": held by " << holder << ", skipped\n";
    rows_[i] = {"elsewhere", holder};
    ++elsewhere_;
    return false;
  }
  const auto file = job_.results->RunFile(id);
  if (!std::filesystem::exists(file)) return true;
  const auto aside = job_.results->AsideFile(id, why);
  std::error_code error;
  std::filesystem::rename(file, aside, error);
  if (error)
    throw IoError(file.string() + ": cannot move aside to " + aside.string() + ": " +
                  error.message());
  std::filesystem::remove_all(job_.results->CheckpointDir(id), error);
  std::cout << Tag(i) << ": its file moved to " << aside.filename().string()
            << "; trained again from step 0\n";
  return true;
}

bool Coordinator::ShouldTrain(int i) {
  const std::string& id = job_.runs[i]->id;
  const bool retrain =
      std::find(job_.retrain.begin(), job_.retrain.end(), id) != job_.retrain.end();
  if (!job_.results->IsFinished(id)) return true;
  if (retrain) return SetAside(i, "retrained");
  const auto file = job_.results->RunFile(id);
  RunStatus status = RunStatus::kUnfinished;
  std::string reason;
  try {
    const RunFileReader reader = RunFileReader::Open(file);
    status = reader.status();
    reason = reader.reason();
    reader.ReadTrain();  // a file cut short fails here rather than in `florenz collect`
  } catch (const IoError& e) {
    std::cout << Tag(i) << ": its file cannot be read (" << e.what()
              << "); nothing of it is used. `--retrain " << id
              << "` trains it again, moving the file aside (not deleting it)\n";
    rows_[i] = {"unreadable", file.filename().string()};
    ++unreadable_;
    return false;
  }
  if (status == RunStatus::kFailed) {
    if (job_.retry_failed) return SetAside(i, "failed");
    std::cout << Tag(i) << ": failed earlier: " << reason << " (--retry-failed trains it again)\n";
    rows_[i] = {"failed", reason};
    ++failed_;
    return false;
  }
  std::cout << Tag(i) << ": finished earlier, skipped\n";
  rows_[i] = {"skipped", ""};
  return false;
}

void Coordinator::RepairPartial(int i) {
  const std::string& id = job_.runs[i]->id;
  const ResultsDir& results = *job_.results;
  for (const auto& file : {results.PartialFile(id), results.PreviousAttemptFile(id)}) {
    if (!std::filesystem::exists(file)) continue;
    try {
      const RunFileReader reader = RunFileReader::Open(file);
      reader.ReadTrain();
      for (const auto& pair : reader.eval_pairs()) reader.ReadEval(pair);
    } catch (const IoError& e) {
      const auto aside = results.AsideFile(id, "unreadable-partial");
      std::error_code error;
      std::filesystem::rename(file, aside, error);
      if (error) {
        throw IoError(file.string() + ": cannot move aside to " + aside.string() + ": " +
                      error.message());
      }
      // Its rows before the checkpoint are gone: restart, so the run file holds a whole curve.
      std::filesystem::remove_all(results.CheckpointDir(id), error);
      std::filesystem::remove(results.PartialFile(id), error);
      ClearLine();
      std::cout << Tag(i) << ": " << file.filename().string() << " cannot be read (" << e.what()
                << "); moved to " << aside.filename().string()
                << ", the run restarts from step 0\n";
      return;
    }
  }
}

void Coordinator::Submit() {
  std::vector<char> trains(job_.runs.size());
  for (size_t i = 0; i < job_.runs.size(); ++i) {
    index_[job_.runs[i]->id] = static_cast<int>(i);
    trains[i] = ShouldTrain(static_cast<int>(i));
  }
  for (size_t i = 0; i < job_.runs.size(); ++i) {
    if (!trains[i]) continue;
    if (WaitsForTrunk(static_cast<int>(i), trains)) {
      waiting_[index_.at(job_.runs[i]->trunk)].push_back(static_cast<int>(i));
    } else {
      SubmitRun(static_cast<int>(i));
    }
  }
}

bool Coordinator::WaitsForTrunk(int branch, const std::vector<char>& trains) const {
  const RunSpec& run = *job_.runs[branch];
  if (run.trunk.empty()) return false;
  auto trunk = index_.find(run.trunk);
  // A trunk outside this job (--only) or finished earlier writes nothing more: the branch
  // resumes from its checkpoint if it has one, else trains from step 0 (the same bits).
  if (trunk == index_.end() || !trains[trunk->second]) return false;
  const auto dir = job_.results->CheckpointDir(run.id);
  if (std::filesystem::exists(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("checkpoint", 0) == 0 && entry.path().extension() == ".pt") return false;
    }
  }
  return true;
}

void Coordinator::SubmitRun(int i) {
  const RunSpec& run = *job_.runs[i];
  try {
    scheduler_.Submit(PendingRun{run.id, run.tp, run.dp, EstimateRunFlops(run)});
  } catch (const std::invalid_argument& e) {  // a gang this job cannot hold
    RecordFailed(i, e.what());
  }
}

void Coordinator::OnBranchReady(const BranchReady& ready) {
  auto waiting = waiting_.find(ready.run);
  if (waiting == waiting_.end()) return;
  auto& branches = waiting->second;
  auto it = std::find(branches.begin(), branches.end(), ready.branch);
  if (it == branches.end()) return;
  branches.erase(it);
  if (branches.empty()) waiting_.erase(waiting);
  SubmitRun(ready.branch);
}

void Coordinator::ReleaseBranches(int trunk, const std::string* trunk_failure) {
  auto waiting = waiting_.find(trunk);
  if (waiting == waiting_.end()) return;
  const std::vector<int> branches = std::move(waiting->second);
  waiting_.erase(waiting);
  for (const int branch : branches) {
    if (trunk_failure != nullptr) {
      RecordFailed(branch, "its trunk " + job_.runs[trunk]->id +
                               " failed before the branch point: " + *trunk_failure);
    } else {
      SubmitRun(branch);
    }
  }
}

void Coordinator::Start(const Placement& placement) {
  const int run = index_.at(placement.run_id);
  // One writer per run: this job trains it only while it holds the run's lock (a retry keeps it).
  if (!locks_.count(run)) {
    std::string holder;
    auto lock = RunLock::TryAcquire(*job_.results, placement.run_id, &holder);
    if (!lock || job_.results->IsFinished(placement.run_id)) {
      ClearLine();
      const bool finished = lock.has_value();
      std::cout << Tag(run) << ": "
                << (finished ? "finished meanwhile by another process"
                             : "trained by another florenz process (" + holder + ")")
                << ", skipped\n";
      rows_[run] = {finished ? "skipped" : "elsewhere", finished ? "" : holder};
      if (!finished) ++elsewhere_;
      scheduler_.OnFailed(placement.run_id);  // leaves this job's schedule
      ReleaseBranches(run, nullptr);          // this job writes none of their checkpoints now
      return;
    }
    locks_.emplace(run, std::move(*lock));
    RepairPartial(run);
  }
  gang_[run] = placement.ranks;
  last_heard_[run] = Now();
  if (embedded()) {  // this process is the one worker: train now, then handle the outcome
    auto progress = [&](const Message& m) { Handle(m, -1); };
    Handle(job_.execute ? job_.execute(job_, run, placement.ranks, 0, progress)
                        : ExecuteRun(job_, run, placement.ranks, 0, progress),
           -1);
    return;
  }
  // The gang's tag: its MPI_Comm_create_group's and its failure notices' (gang_watch.h uses
  // tag 7 for the notices themselves, below the first gang tag).
  const Assign assign{run, failures_[run], 1000 + ++tags_ % 30000, placement.ranks};
  for (int rank : placement.ranks) Send(assign, rank, job_.comm);
}

void Coordinator::Handle(const Message& message, int source) {
  const int run = RunOf(message);
  if (!gang_.count(run)) return;  // a lost gang that spoke again: ignored
  if (source >= 0 && lost_.count(source)) return;
  last_heard_[run] = Now();
  if (const auto* progress = std::get_if<Progress>(&message)) return OnProgress(*progress);
  if (const auto* ready = std::get_if<BranchReady>(&message)) return OnBranchReady(*ready);
  if (std::holds_alternative<Assign>(message) || std::holds_alternative<Shutdown>(message)) return;
  Message outcome;
  if (!Left(run, message, source, &outcome)) return;
  ClearLine();
  if (const auto* done = std::get_if<Done>(&outcome)) {
    OnDone(*done);
  } else if (const auto* interrupted = std::get_if<Interrupted>(&outcome)) {
    OnInterrupted(*interrupted);
  } else if (const auto* failure = std::get_if<StorageFailed>(&outcome)) {
    OnStorageFailed(*failure);
  } else if (const auto* failed = std::get_if<Failed>(&outcome)) {
    OnFailed(*failed);
  }
  gang_.erase(run);  // the run ended or went back to the queue: its gang is free
  last_heard_.erase(run);
}

bool Coordinator::Left(int run, const Message& message, int source, Message* outcome) {
  const std::vector<int>& members = gang_.at(run);
  // How much a member's end says about the run: its own failure, then a stop, then "another
  // member failed", then done; among equals the leader's (whose Done carries the figures).
  auto weight = [&](const Message& m, int from) {
    int w = 0;
    if (const auto* f = std::get_if<Failed>(&m)) w = f->aborted ? 2 : 6;
    if (std::holds_alternative<StorageFailed>(m)) w = 6;
    if (std::holds_alternative<Interrupted>(m)) w = 4;
    return 2 * w + (from == members.front() ? 1 : 0);
  };
  Ending& ending = ending_[run];
  if (ending.left.empty()) ending.since = Now();
  ending.left.insert(source);
  if (!ending.outcome || weight(message, source) > weight(*ending.outcome, ending.outcome_source)) {
    ending.outcome = message;
    ending.outcome_source = source;
  }
  // Embedded (source -1) and gangs of one end at once.
  if (source >= 0 && ending.left.size() < members.size()) return false;
  *outcome = *ending.outcome;
  ending_.erase(run);
  return true;
}

void Coordinator::CheckEndings() {
  // A member that failed told the others at once; one that waited past the timeout left on
  // its own. Whoever is still inside after another timeout is stuck where MPI cannot reach.
  const double grace =
      2 * static_cast<double>(job_.grid->spec.execution.collective_timeout.seconds);
  for (const auto& [run, ending] : ending_) {
    if (Now() - ending.since <= grace) continue;
    ClearLine();
    std::printf("%s: rank(s)", Tag(run).c_str());
    for (int r : gang_.at(run)) {
      if (!ending.left.count(r)) std::printf(" %d", r);
    }
    std::printf(
        " did not leave the failed run within %.0f s (twice execution.collective_timeout): "
        "stuck in a collective that cannot be cancelled. Ending the job with exit code %d so "
        "that Slurm requeues it; every run resumes from its last checkpoint\n",
        grace, kExitRequeue);
    for (int r : gang_.at(run)) {
      if (!ending.left.count(r)) lost_.insert(r);
    }
    stuck_ = true;
    return;
  }
}

void Coordinator::OnProgress(const Progress& p) {
  if (!embedded()) return;  // under mpirun the job's summary line shows progress
  const double eta = p.resumed ? 0 : (p.steps - p.step) * p.seconds / std::max<int64_t>(1, p.step);
  std::printf("\r%s: %s/%s samples  loss %.4f  %.0f samples/s  ETA %s   ", Tag(p.run).c_str(),
              HumanCount(static_cast<double>(p.samples)).c_str(),
              HumanCount(job_.runs[p.run]->samples()).c_str(), p.loss, p.samples_per_second,
              Clock2(eta).c_str());
  std::fflush(stdout);
  line_open_ = true;
}

void Coordinator::OnDone(const Done& done) {
  char metric[64] = "";
  if (!std::isnan(done.unseen_caption))
    std::snprintf(metric, sizeof(metric), "%.4f", done.unseen_caption);
  std::printf("%s: completed in %.1f s (evaluation %.1f s), unseen-caption CE %s\n",
              Tag(done.run).c_str(), done.seconds, done.evaluation_seconds, metric);
  scheduler_.OnFinished(job_.runs[done.run]->id, done.seconds);
  rows_[done.run] = {"completed", metric};
  ++done_;
  locks_.erase(done.run);
  ReleaseBranches(done.run, nullptr);
}

void Coordinator::OnInterrupted(const Interrupted& interrupted) {
  const int run = interrupted.run;
  std::printf("%s: %s\n", Tag(run).c_str(), interrupted.reason.c_str());
  scheduler_.OnFailed(job_.runs[run]->id);  // leaves the scheduler; its checkpoint resumes it
  rows_[run] = {"interrupted", "step " + std::to_string(interrupted.step)};
  ++interrupted_;
  locks_.erase(run);
}

void Coordinator::OnStorageFailed(const StorageFailed& failure) {
  const int run = failure.run;
  std::printf(
      "%s: %s\n%s: not a failure of the run: it keeps its last checkpoint and "
      "resumes when the same command runs again; no new run starts\n",
      Tag(run).c_str(), failure.error.c_str(), Tag(run).c_str());
  scheduler_.OnFailed(job_.runs[run]->id);
  rows_[run] = {"stopped", "storage error"};
  if (storage_error_.empty()) storage_error_ = failure.error;
  stopping_ = true;
  locks_.erase(run);
}

void Coordinator::OnFailed(const Failed& failed) {
  const int run = failed.run;
  const std::string& id = job_.runs[run]->id;
  const int attempt = ++failures_[run];
  std::printf("%s: attempt %d failed: %s\n", Tag(run).c_str(), attempt, failed.reason.c_str());
  if (attempt <= job_.grid->spec.execution.retries && !stopping_) {
    scheduler_.Requeue(id);  // resumes from its last checkpoint
  } else {
    scheduler_.OnFailed(id);
    gang_.erase(run);
    RecordFailed(run, failed.reason);
  }
}

void Coordinator::CheckHeartbeats() {
  const int64_t timeout = job_.grid->spec.execution.heartbeat_timeout.seconds;
  if (timeout <= 0) return;
  for (auto it = last_heard_.begin(); it != last_heard_.end();) {
    const int run = it->first;
    if (Now() - it->second <= timeout) {
      ++it;
      continue;
    }
    const std::vector<int> ranks = gang_.at(run);
    ClearLine();
    std::printf("%s: gang of rank", Tag(run).c_str());
    for (int r : ranks) std::printf(" %d", r);
    std::printf(" silent for %lld s: declared lost, run requeued on other ranks\n",
                static_cast<long long>(timeout));
    lost_.insert(ranks.begin(), ranks.end());
    scheduler_.MarkLost(ranks);
    scheduler_.Requeue(job_.runs[run]->id);
    gang_.erase(run);
    ending_.erase(run);
    it = last_heard_.erase(it);
  }
  for (const auto& [id, why] : scheduler_.TakeUnplaceable()) RecordFailed(index_.at(id), why);
}

void Coordinator::RecordFailed(int run, const std::string& reason) {
  // Only the holder of the run's lock writes its file.
  if (!locks_.count(run)) {
    std::string holder;
    auto lock = RunLock::TryAcquire(*job_.results, job_.runs[run]->id, &holder);
    if (!lock) {
      rows_[run] = {"elsewhere", holder};
      ++elsewhere_;
      return;
    }
    locks_.emplace(run, std::move(*lock));
  }
  train::CommitFailedRun(*job_.runs[run], *job_.data, *job_.results, reason);
  rows_[run] = {"failed", reason};
  ++failed_;
  locks_.erase(run);
  ReleaseBranches(run, &reason);
}

void Coordinator::ClearLine() {
  if (line_open_) std::printf("\n");
  line_open_ = false;
}

void Coordinator::PrintProgress(bool force) {
  if (embedded() || (!force && Now() - last_print_ < 2)) return;
  last_print_ = Now();
  double work = 0;  // rank-seconds left, by estimate
  for (const auto& id : scheduler_.PendingIds()) {
    const RunSpec& run = *job_.runs[index_.at(id)];
    work += scheduler_.EstimatedSeconds(PendingRun{id, run.tp, run.dp, EstimateRunFlops(run)}) *
            run.tp * run.dp;
  }
  const int workers = scheduler_.shape().worker_count() - scheduler_.lost_rank_count();
  std::printf(
      "\rflorenz run: %d done, %zu running, %zu queued, %d failed; %d/%d ranks busy; "
      "ETA %s   ",
      done_, scheduler_.running_count(), scheduler_.pending_count(), failed_,
      scheduler_.busy_rank_count(), workers, Clock2(work / std::max(1, workers)).c_str());
  std::fflush(stdout);
  line_open_ = true;
}

int Coordinator::Run() {
  Submit();
  while (scheduler_.pending_count() + scheduler_.running_count() > 0) {
    if (!stopping_ && train::StopRequested()) {
      stopping_ = true;
      ClearLine();
      std::printf("florenz run: signal %d: every running gang checkpoints, no new run starts\n",
                  train::StopSignal());
    }
    if (stopping_ && scheduler_.running_count() == 0) break;
    if (!stopping_) {
      for (const Placement& placement : scheduler_.Schedule(Now())) {
        Start(placement);
      }
      for (const auto& [id, why] : scheduler_.TakeUnplaceable()) RecordFailed(index_.at(id), why);
    }
    if (embedded()) continue;
    if (auto received = TryReceive(job_.comm)) {
      Handle(received->message, received->source);
      pause_ = 20;
    } else {
      CheckHeartbeats();
      CheckEndings();
      if (stuck_) break;
      PrintProgress(false);
      // MPI_Recv would spin a core, and the coordinator trains nothing: sleep, from 20 µs
      // (replies in quick succession) doubling to 2 ms (runs that take minutes).
      usleep(pause_);
      pause_ = std::min(2 * pause_, 2000);
    }
  }
  return Finish();
}

int Coordinator::Finish() {
  for (int r = 1; r < world_size_; ++r) Send(Shutdown{}, r, job_.comm);
  PrintProgress(true);
  ClearLine();
  std::cout << "\nrun id                              status      unseen CE / reason\n";
  for (const auto& [run, row] : rows_) {
    std::printf("%-35s %-11s %s\n", job_.runs[run]->id.c_str(), row.status.c_str(),
                row.metric.c_str());
  }
  std::cout << "results: " << job_.results->root().string() << "/runs (florenz collect "
            << job_.results->root().string() << " writes results.csv)\n";
  if (!embedded()) {
    std::printf("coordinator: %.2f s CPU over %.1f s wall on %d worker ranks (%zu lost)\n",
                CpuSeconds(), Now(), scheduler_.shape().worker_count(), lost_.size());
  }
  if (elsewhere_ > 0) {
    std::cout << "florenz run: " << elsewhere_
              << " run(s) are held by another florenz process on this folder (florenz status "
                 "shows which); that process trains them\n";
  }
  if (stuck_) {
    std::cout << "florenz run: a gang is stuck after a failure; ended for requeue (exit code "
              << kExitRequeue << "): the same command resumes every run from its checkpoint\n";
    return kExitRequeue;
  }
  if (!storage_error_.empty()) {
    std::cout << "florenz run: stopped: " << storage_error_
              << "\nNothing finished was lost; free the space (or fix the folder) and run the "
                 "same command again to resume (exit code "
              << kExitFailure << ")\n";
    return kExitFailure;
  }
  if (stopping_ || interrupted_ > 0) {
    std::cout << "florenz run: stopped by signal " << train::StopSignal()
              << " after a checkpoint; the same command resumes (exit code " << kExitRequeue
              << ")\n";
    return kExitRequeue;
  }
  if (unreadable_ > 0) {
    std::cout << unreadable_ << " run file(s) cannot be read:";
    for (const auto& [run, row] : rows_) {
      if (row.status == "unreadable") std::cout << " " << job_.runs[run]->id;
    }
    std::cout << "\n(florenz run … --retrain ID[,ID…] trains them again, setting the files "
                 "aside)\n";
    return kExitFailure;
  }
  if (failed_ > 0) {
    std::cout << failed_ << " run(s) failed:";
    for (const auto& [run, row] : rows_) {
      if (row.status == "failed") std::cout << " " << job_.runs[run]->id;
    }
    std::cout << "\n(florenz run … --retry-failed trains them again)\n";
    return kExitRunsFailed;
  }
  return kExitOk;
}

}  // namespace

CoordinatorOutcome RunCoordinator(const Job& job, int world_size, const ClusterShape& shape) {
  Coordinator coordinator(job, world_size, shape);
  CoordinatorOutcome outcome;
  outcome.exit_code = coordinator.Run();
  outcome.lost_ranks = coordinator.lost_ranks();
  outcome.stuck = coordinator.stuck();
  return outcome;
}

}  // namespace florenz
