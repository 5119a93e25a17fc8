// The MPI backend of Communicator: CPU tensors of float32, float64, int32 and int64 reduced in
// place by Open MPI; bfloat16 and float16 reduced through float32 (MPI has no 16-bit float
// types); all-gather and broadcast move any dtype as bytes.
#pragma once

#include <initializer_list>
#include <vector>

#include "parallel/communicator.h"
#include "parallel/gang_watch.h"
#include "parallel/mpi_comm.h"

namespace florenz {

class MpiCommunicator final : public Communicator {
 public:
  // Takes `comm` (owned or borrowed); every collective runs over it. With a `watch` (not
  // owned; outlives this object) every collective is started non-blocking and its wait polls
  // the watch (gang_watch.h), so a member's failure or a stuck member ends the wait with an
  // exception instead of a hang; without one, collectives are MPI's blocking calls.
  explicit MpiCommunicator(MpiComm comm, GangWatch* watch = nullptr);
  // A communicator whose wait was abandoned keeps its MPI communicator (and so its context id)
  // for the rest of the process instead of freeing it.
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "mpi"; }
  const MpiComm& comm() const { return comm_; }

  void AllReduce(torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Work> AllReduceAsync(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor AllGather(const torch::Tensor& input, int64_t dim) override;
  torch::Tensor ReduceScatter(const torch::Tensor& input, int64_t dim, ReduceOp op) override;
  void Broadcast(torch::Tensor& tensor, int root) override;
  void Barrier() override;
  // MPI progresses non-blocking collectives only inside MPI calls.
  bool NeedsHostProgress() const override { return true; }

 private:
  // Waits for `requests` (polling the watch, if any); on an exception `keep` is abandoned
  // (kept alive for the rest of the process) and the exception propagates.
  void Await(std::vector<MPI_Request>& requests, std::initializer_list<torch::Tensor> keep,
             const char* what);

  MpiComm comm_;
  GangWatch* watch_ = nullptr;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace florenz
