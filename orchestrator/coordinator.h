// Coordinator: rank 0 of `florenz run`. It submits the grid's unfinished runs to the Scheduler,
// sends Assign to the ranks of every placement, and handles what comes back: Progress (also
// the heartbeat), Done, Failed (retried from the checkpoint up to execution.retries, then
// recorded as failed), Interrupted (SIGTERM / SIGUSR2: every gang checkpoints, the job exits
// for requeue), and silence (a gang heard from for longer than execution.heartbeat_timeout is
// lost: its ranks get no more work and its run is requeued elsewhere). In the embedded mode
// (one process) it runs every placement itself, through the same code.
#pragma once

#include <vector>

#include "orchestrator/cluster_shape.h"
#include "orchestrator/job.h"

namespace florenz {

// The job's cluster shape: every rank but 0 is a worker, on the node that
// MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) puts it on; Embedded() for one process. Collective
// over job.comm: every rank calls it once, before rank 0 coordinates.
ClusterShape DetectJobShape(const Job& job, int world_size);

struct CoordinatorOutcome {
  // kExitOk, kExitRunsFailed (some runs failed; listed), kExitRequeue (stopped by a signal after
  // a checkpoint) or kExitFailure (the results store could not be written; a run file unreadable).
  int exit_code = 0;
  // World ranks declared lost (silent past execution.heartbeat_timeout). When there are any the
  // job cannot end with MPI_Finalize (a silent rank would never join it) and must MPI_Abort.
  std::vector<int> lost_ranks;
  // A gang never left a failed run (stuck in an MPI collective): exit_code is kExitRequeue and
  // the job must end with MPI_Abort (its stuck ranks would never finalize).
  bool stuck = false;
};

// Runs the job to its end on rank 0. Sends Shutdown to every worker before returning.
// `world_size` 1 means the embedded mode.
CoordinatorOutcome RunCoordinator(const Job& job, int world_size, const ClusterShape& shape);

}  // namespace florenz
