// The worker side of the protocol: ExecuteRun (shared with the embedded mode) and the loop of
// worker ranks. A run's exception is caught here, at the run boundary, and reported as Failed.
#include <cmath>
#include <new>

#include "experiments/errors.h"
#include "orchestrator/job.h"
#include "parallel/process_groups.h"
#include "workers/train/stop_request.h"
#include "workers/train/trainer.h"

namespace florenz {

Message ExecuteRun(const Job& job, int run, const std::vector<int>& ranks, int tag,
                   const std::function<void(const Message&)>& progress) {
  const RunSpec& spec = *job.runs.at(run);
  Message result;
  result.run = run;
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
      Message message;
      message.kind = MessageKind::kProgress;
      message.run = run;
      message.values = {static_cast<double>(p.step), static_cast<double>(p.samples), p.loss,
                        p.samples_per_second,        static_cast<double>(p.steps),   p.seconds,
                        p.resumed ? 1.0 : 0.0};
      progress(message);
    };
    const train::RunOutcome outcome = train::TrainRun(spec, *job.data, context);
    const auto unseen = outcome.final_metrics.find("unseen_caption");
    result.kind = MessageKind::kDone;
    result.values = {outcome.seconds, outcome.evaluation_seconds,
                     unseen == outcome.final_metrics.end() ? std::nan("") : unseen->second};
  } catch (const IoError& e) {
    // The store failed, not the run: its last checkpoint and .partial stay for the rerun.
    result.kind = MessageKind::kStorageFailed;
    result.text = e.what();
  } catch (const std::bad_alloc&) {
    result.kind = MessageKind::kFailed;
    result.text =
        "out of memory (std::bad_alloc) while training: lower "
        "training.micro_batch_size (activations grow with the samples of one "
        "forward/backward) or train the size on more tensor-parallel ranks";
  } catch (const train::RunInterrupted& e) {
    result.kind = MessageKind::kInterrupted;
    result.values = {static_cast<double>(e.step())};
    result.text = e.what();
  } catch (const std::exception& e) {
    result.kind = MessageKind::kFailed;
    result.text = e.what();
  }
  return result;
}

void WorkerLoop(const Job& job) {
  for (;;) {
    const Message message = Receive(job.comm);
    if (message.kind == MessageKind::kShutdown) return;
    if (message.kind != MessageKind::kAssign) continue;
    const bool leader = message.ranks.front() == job.rank;
    auto send = [&](const Message& m) {
      if (leader) Send(m, 0, job.comm);
    };
    send(job.execute ? job.execute(job, message.run, message.ranks, message.tag, send)
                     : ExecuteRun(job, message.run, message.ranks, message.tag, send));
  }
}

}  // namespace florenz
