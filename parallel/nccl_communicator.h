// The NCCL backend of Communicator, for CUDA tensors (what GPU clusters use). Bootstrapped by
// broadcasting an ncclUniqueId over the gang's MPI communicator (the pattern of the NCCL
// documentation). Every collective is ordered after the work already queued on the producer
// stream and before the work queued on it afterwards:
// - a blocking one is queued on the producer stream itself, which orders it for free (the
//   events an own stream needs cost 1.7 µs a call on an H100, six times a one-rank
//   ncclAllReduce: docs/performance.md);
// - a non-blocking all-reduce runs on the communicator's own stream, after an event on the
//   producer stream, so that the producer's later kernels (the rest of backward) overlap it.
// Built when CMake finds CUDA and NCCL (FLORENZ_WITH_NCCL).
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include "parallel/communicator.h"
#include "parallel/mpi_comm.h"

namespace florenz {

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `comm`: rank 0 creates the unique id, MPI broadcasts it, every rank joins
  // on CUDA device `device`. Throws RunError (with CUDA's or NCCL's message) where no GPU is
  // present or `device` does not exist.
  NcclCommunicator(MpiComm comm, int device);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "nccl"; }
  int device() const { return device_; }
  // The stream whose work collectives are ordered after (and which waits for them). LibTorch
  // queues its kernels on the legacy default stream unless told otherwise.
  void set_producer_stream(cudaStream_t stream) { producer_ = stream; }

  // Asynchronous with respect to the host, like every CUDA kernel: the result is ordered
  // before later work on the producer stream.
  void AllReduce(torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Work> AllReduceAsync(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor AllGather(const torch::Tensor& input, int64_t dim) override;
  torch::Tensor ReduceScatter(const torch::Tensor& input, int64_t dim, ReduceOp op) override;
  void Broadcast(torch::Tensor& tensor, int root) override;
  // Waits for this communicator's stream and the producer stream, then for every rank.
  void Barrier() override;

 private:
  // Checks `tensor` is a CUDA tensor on this communicator's device.
  void RequireDevice(const torch::Tensor& tensor, const char* what) const;
  // Makes the communicator's stream wait for the producer's queued work.
  void OrderAfterProducer();

  MpiComm mpi_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaStream_t producer_ = cudaStreamLegacy;
  cudaEvent_t ready_ = nullptr;
  int device_ = 0;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace florenz
