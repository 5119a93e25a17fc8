// The worker side of the protocol (worker_loop.h). A run's exception is caught here, at the run
// boundary, and reported as Failed.
#include "orchestrator/worker_loop.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <new>
#include <string>

#include "core/errors.h"
#include "parallel/device_reads.h"
#include "parallel/gang_watch.h"
#include "parallel/process_groups.h"
#include "workers/train/stop_request.h"
#include "workers/train/trainer.h"

namespace florenz {
namespace {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// The run boundary's advice for memory that ran out on the host or the GPU.
std::string OutOfMemoryMessage(const std::string& what) {
  return "out of memory (" + what +
         ") while training: lower training.micro_batch_size (activations grow with the samples "
         "of one forward/backward) or train the size on more tensor-parallel ranks";
}

}  // namespace

Message ExecuteRun(const Job& job, int run, const std::vector<int>& ranks, int tag,
                   const std::function<void(const Message&)>& progress) {
  const RunSpec& spec = *job.runs.at(run);
  // Declared before the groups, which wait through it: destroyed after them.
  std::unique_ptr<GangWatch> watch;
  std::unique_ptr<ProcessGroups> groups;
  Message outcome;
  std::string failure;  // this rank's own failure, told to the gang; empty otherwise
  try {
    if (ranks.size() > 1) {
      // Collective over the gang's members only: ranks busy elsewhere are not involved. Over
      // job.gangs: a member that is still polling the protocol never takes its messages.
      const MPI_Comm parent = job.gangs != MPI_COMM_NULL ? job.gangs : job.comm;
      MpiComm gang = MpiComm::Borrow(parent).CreateGroup(ranks, tag);
      const double timeout = static_cast<double>(spec.spec().execution.collective_timeout.seconds);
      if (job.gangs != MPI_COMM_NULL) {
        watch = std::make_unique<GangWatch>(job.gangs, ranks, tag, timeout);
      }
      // A gang on GPUs moves tensors over NCCL, else MPI; its control always runs over MPI.
      const bool cuda = job.device.rfind("cuda:", 0) == 0;
      GangOptions options;
      options.backend = cuda ? Backend::kNccl : Backend::kMpi;
      options.device = cuda ? std::stoi(job.device.substr(5)) : 0;
      options.watch = watch.get();
      options.collective_timeout_seconds = timeout;
      options.world_ranks = ranks;
      groups = ProcessGroups::Create(std::move(gang), spec.tp, spec.dp, options);
      // A wait for the GPU (a device read) sees the gang's notices, NCCL's errors and the
      // collective timeout, as the MPI collectives' waits do.
      SetDeviceReadPoll([&](double waited) {
        if (watch) watch->Poll();
        groups->ThrowIfUnhealthy();
        if (waited > timeout) {
          throw CollectiveTimeout("a device read waited " + std::to_string(int(waited)) +
                                  " s, past execution.collective_timeout");
        }
      });
    }
    train::RunContext context;
    context.results = job.results;
    context.threads = job.threads;
    context.device = job.device;
    context.data_threads = job.data_threads;
    context.groups = groups.get();
    context.on_progress = [&](const train::TrainProgress& p) {
      progress(Progress{run, p.step, p.steps, p.samples, p.loss, p.samples_per_second, p.seconds,
                        p.resumed});
    };
    context.on_branch_ready = [&](const std::string& branch) {
      for (size_t i = 0; i < job.runs.size(); ++i) {
        if (job.runs[i]->id == branch) progress(BranchReady{run, static_cast<int>(i)});
      }
    };
    const train::RunOutcome trained = train::TrainRun(spec, *job.data, context);
    const auto unseen = trained.final_metrics.find("unseen_caption");
    outcome = Done{run, trained.seconds, trained.evaluation_seconds,
                   unseen == trained.final_metrics.end() ? std::nan("") : unseen->second};
  } catch (const GangAborted& e) {
    // Another member failed and told this one: its reason is the run's, reported by it.
    outcome = Failed{run, e.what(), /*aborted=*/true};
  } catch (const IoError& e) {
    // The store failed, not the run: its last checkpoint and .partial stay for the rerun.
    outcome = StorageFailed{run, e.what()};
    failure = e.what();
  } catch (const std::bad_alloc&) {
    failure = OutOfMemoryMessage("std::bad_alloc");
    outcome = Failed{run, failure};
  } catch (const c10::OutOfMemoryError& e) {
    failure = OutOfMemoryMessage("CUDA out of memory: " + FirstLine(e.what()));
    outcome = Failed{run, failure};
  } catch (const train::RunInterrupted& e) {
    // Every member stopped at the same step (agreed), checkpointed and left together.
    outcome = Interrupted{run, e.step(), e.what()};
  } catch (const std::exception& e) {
    failure = e.what();
    outcome = Failed{run, failure};
  }
  SetDeviceReadPoll(nullptr);
  if (!failure.empty() && watch) watch->NotifyFailure(failure);  // at once: peers may wait
  if (groups && !std::holds_alternative<Done>(outcome) &&
      !std::holds_alternative<Interrupted>(outcome)) {
    groups->Abandon(failure.empty() ? "another member of the gang failed" : failure);
  }
  return outcome;
}

void WorkerLoop(const Job& job) {
  for (;;) {
    const Message message = Receive(job.comm).message;
    if (std::holds_alternative<Shutdown>(message)) return;
    const auto* assign = std::get_if<Assign>(&message);
    if (assign == nullptr) continue;
    const bool leader = assign->ranks.front() == job.rank;
    auto progress = [&](const Message& m) {
      if (leader) Send(m, 0, job.comm);
    };
    const Message outcome =
        job.execute ? job.execute(job, assign->run, assign->ranks, assign->tag, progress)
                    : ExecuteRun(job, assign->run, assign->ranks, assign->tag, progress);
    // Every member: the coordinator frees the gang once all of them have left the run.
    Send(outcome, 0, job.comm);
  }
  ProcessGroups::ReleaseReusedCommunicators();
}

}  // namespace florenz
