// The MPI backend of Communicator: CPU tensors of float32, float64, int32 and int64 reduced in
// place by Open MPI; bfloat16 and float16 reduced through float32 (MPI has no 16-bit float
// types); all-gather and broadcast move any dtype as bytes.
#pragma once

#include "parallel/communicator.h"
#include "parallel/mpi_comm.h"

namespace florenz {

class MpiCommunicator final : public Communicator {
 public:
  // Takes `comm` (owned or borrowed); every collective runs over it.
  explicit MpiCommunicator(MpiComm comm);

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

 private:
  MpiComm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace florenz
