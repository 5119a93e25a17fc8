// ProcessGroups: the communicators of one run's gang — the whole gang, its tensor-parallel
// group (the tp ranks sharing one data shard) and its data-parallel group (the dp ranks
// holding the same model shard) — built once from the gang's MPI communicator and passed
// explicitly to the model and the trainer; nothing reads a global.
#pragma once

#include <memory>

#include "parallel/communicator.h"
#include "parallel/mpi_comm.h"
#include "parallel/parallel_dims.h"
#include "parallel/tensor_parallel.h"

namespace florenz {

enum class Backend { kMpi, kNccl };

class ProcessGroups {
 public:
  // Collective over `gang`. Validates `dims` against gang.size() before any collective is
  // called (ParallelDims::Make), then splits the tp and dp communicators, tp fastest. With
  // Backend::kNccl the three communicators are NCCL communicators on CUDA device `device`,
  // bootstrapped over the MPI ones (throws where florenz was built without NCCL).
  static std::unique_ptr<ProcessGroups> Create(MpiComm gang, int tp, int dp,
                                               Backend backend = Backend::kMpi, int device = 0);

  const ParallelDims& dims() const { return dims_; }
  int rank() const { return rank_; }  // gang rank
  int tp_rank() const { return dims_.TpRank(rank_); }
  int dp_rank() const { return dims_.DpRank(rank_); }

  Communicator& gang() { return *gang_; }
  Communicator& tp() { return *tp_; }
  Communicator& dp() { return *dp_; }
  // The coordinate the tensor-parallel layers take (tp communicator included).
  TensorParallel tensor_parallel() { return TensorParallel{tp_rank(), dims_.tp, tp_.get()}; }

 private:
  ProcessGroups() = default;

  ParallelDims dims_;
  int rank_ = 0;
  std::unique_ptr<Communicator> gang_;
  std::unique_ptr<Communicator> tp_;
  std::unique_ptr<Communicator> dp_;
};

}  // namespace florenz
