// ProcessGroups: the communicators of one run's gang — the whole gang, its tensor-parallel
// group (the tp ranks sharing one data shard) and its data-parallel group (the dp ranks
// holding the same model shard) — built from the gang's MPI communicator and passed
// explicitly to the model and the trainer; nothing reads a global.
// - The gang's host-side control (agreement, stop flag, barriers, small gathers) always runs
//   over MPI (gang()); NCCL carries tensors only (tp(), dp() on CUDA).
// - On CUDA one NCCL communicator per distinct rank set: a group of one rank gets none, and a
//   set seen before (the same world ranks on the same device, agreed by every member) reuses
//   the communicator an earlier run built, so a grid of same-shaped gangs creates each once.
// - With a GangWatch every wait of the gang is interruptible (gang_watch.h), and Abandon()
//   aborts the gang's NCCL communicators after a failure and never reuses them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parallel/communicator.h"
#include "parallel/gang_watch.h"
#include "parallel/mpi_comm.h"
#include "parallel/parallel_dims.h"
#include "parallel/tensor_parallel.h"

namespace florenz {

enum class Backend { kMpi, kNccl };

struct GangOptions {
  // Where the tp and dp groups move tensors: MPI (CPU tensors) or NCCL (CUDA tensors on
  // CUDA device `device`).
  Backend backend = Backend::kMpi;
  int device = 0;
  // Makes every wait interruptible (not owned; outlives the groups). Null: plain blocking MPI.
  GangWatch* watch = nullptr;
  // An NCCL collective in flight longer than this aborts its communicator.
  double collective_timeout_seconds = 300;
  // The gang's ranks in the job, gang order: the key of reused NCCL communicators. Empty: no
  // reuse (each communicator is built for this gang and destroyed with it).
  std::vector<int> world_ranks;
};

class ProcessGroups {
 public:
  // Collective over `gang`. Validates `dims` against gang.size() before any collective is
  // called (ParallelDims::Make), then splits the tp and dp communicators, tp fastest. With
  // Backend::kNccl the tp and dp communicators are NCCL communicators (throws where florenz
  // was built without NCCL).
  static std::unique_ptr<ProcessGroups> Create(MpiComm gang, int tp, int dp,
                                               const GangOptions& options);
  static std::unique_ptr<ProcessGroups> Create(MpiComm gang, int tp, int dp,
                                               Backend backend = Backend::kMpi, int device = 0);
  ~ProcessGroups();

  const ParallelDims& dims() const { return dims_; }
  int rank() const { return rank_; }  // gang rank
  int tp_rank() const { return dims_.TpRank(rank_); }
  int dp_rank() const { return dims_.DpRank(rank_); }

  // The whole gang, over MPI (CPU tensors): host-side control only.
  Communicator& gang() { return *gang_; }
  Communicator& tp() { return *tp_; }
  Communicator& dp() { return *dp_; }
  // The coordinate the tensor-parallel layers take (tp communicator included).
  TensorParallel tensor_parallel() { return TensorParallel{tp_rank(), dims_.tp, tp_.get()}; }

  // Throws RunError when one of the gang's NCCL communicators was aborted (by its watchdog:
  // an NCCL error or a collective past the timeout). Called while the host waits.
  void ThrowIfUnhealthy() const;
  // After a failure of the run on this rank or a member: aborts the NCCL communicators (their
  // collectives in flight end) and takes them out of reuse. Never throws.
  void Abandon(const std::string& reason) noexcept;

  // Destroys the NCCL communicators kept for reuse (end of a worker's loop, before MPI ends).
  static void ReleaseReusedCommunicators() noexcept;

 private:
  ProcessGroups() = default;

  ParallelDims dims_;
  int rank_ = 0;
  std::unique_ptr<Communicator> gang_;
  std::shared_ptr<Communicator> tp_;
  std::shared_ptr<Communicator> dp_;
};

}  // namespace florenz
