// The worker side of `florenz run`: what a rank does with an Assign (ExecuteRun, shared with
// the embedded mode) and the loop of every worker rank.
#pragma once

#include <functional>
#include <vector>

#include "orchestrator/job.h"
#include "orchestrator/protocol.h"

namespace florenz {

// Trains run `run` of `job` as member of the gang `ranks` (world ranks, gang order; just this
// rank in the embedded mode): builds the gang's communicators when it has more than one rank,
// calls TrainRun, and returns how the run ended — Done, Failed (the run boundary: any
// exception), Interrupted or StorageFailed. `progress` receives what the leader reports while
// the run trains: Progress, and BranchReady when a trunk wrote a branch's checkpoint.
Message ExecuteRun(const Job& job, int run, const std::vector<int>& ranks, int tag,
                   const std::function<void(const Message&)>& progress);

// The loop of every worker rank (world rank > 0): waits for Assign (sleeping between polls),
// trains, reports, until Shutdown.
void WorkerLoop(const Job& job);

}  // namespace florenz
