// The worker side of the protocol (worker_loop.h). A run's exception is caught here, at the run
// boundary, and reported as Failed.
#include "orchestrator/worker_loop.h"

#include <cmath>
#include <new>

#include "core/errors.h"
#include "parallel/process_groups.h"
#include "workers/train/stop_request.h"
#include "workers/train/trainer.h"

namespace florenz {

Message ExecuteRun(const Job& job, int run, const std::vector<int>& ranks, int tag,
                   const std::function<void(const Message&)>& progress) {
  const RunSpec& spec = *job.runs.at(run);
  try {
    std::unique_ptr<ProcessGroups> groups;
    if (ranks.size() > 1) {
      // Collective over the gang's members only: ranks busy elsewhere are not involved.
      MpiComm gang = MpiComm::Borrow(job.comm).CreateGroup(ranks, tag);
      // A gang on GPUs talks NCCL (bootstrapped over the gang's MPI communicator), else MPI.
      const bool cuda = job.device.rfind("cuda:", 0) == 0;
      groups = ProcessGroups::Create(std::move(gang), spec.tp, spec.dp,
                                     cuda ? Backend::kNccl : Backend::kMpi,
                                     cuda ? std::stoi(job.device.substr(5)) : 0);
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
    const train::RunOutcome outcome = train::TrainRun(spec, *job.data, context);
    const auto unseen = outcome.final_metrics.find("unseen_caption");
    return Done{run, outcome.seconds, outcome.evaluation_seconds,
                unseen == outcome.final_metrics.end() ? std::nan("") : unseen->second};
  } catch (const IoError& e) {
    // The store failed, not the run: its last checkpoint and .partial stay for the rerun.
    return StorageFailed{run, e.what()};
  } catch (const std::bad_alloc&) {
    return Failed{run,
                  "out of memory (std::bad_alloc) while training: lower "
                  "training.micro_batch_size (activations grow with the samples of one "
                  "forward/backward) or train the size on more tensor-parallel ranks"};
  } catch (const train::RunInterrupted& e) {
    return Interrupted{run, e.step(), e.what()};
  } catch (const std::exception& e) {
    return Failed{run, e.what()};
  }
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
    if (leader) Send(outcome, 0, job.comm);
  }
}

}  // namespace florenz
