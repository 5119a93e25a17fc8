// Communicator: the collectives florenz's parallelism is built on — all-reduce (sum, max,
// average), all-gather, reduce-scatter, broadcast, barrier — on torch::Tensor, with two
// backends: MPI for CPU tensors (mpi_communicator.h) and NCCL for CUDA tensors
// (nccl_communicator.h). Tensor-parallel layers and data-parallel buckets see only this
// interface, so model code is written once.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace florenz {

enum class ReduceOp { kSum, kMax, kAverage };
const char* ToString(ReduceOp op);

// A collective in flight (non-blocking all-reduce).
// - Wait(): the result is in the tensor for every later use of it by this rank. A host
//   backend (MPI) blocks the host until then; a device backend (NCCL) only makes the stream
//   the caller's later kernels run on wait for the collective (no host wait), so the caller
//   must not read the tensor on the host except through a device read (device_reads.h).
// - Test(): makes progress and says whether the collective is complete.
// - The destructor never releases the tensor under a running collective: it waits (host
//   backend) or keeps the tensor alive until the collective ends (device backend). While an
//   exception unwinds a failed gang it abandons instead (gang_watch.h): it never blocks then.
class Work {
 public:
  virtual ~Work() = default;
  virtual void Wait() = 0;
  virtual bool Test() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  // This process's rank in the communicator, 0 ≤ rank < size.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "mpi" or "nccl".
  virtual const char* backend() const = 0;

  // In place: every rank ends with op over all ranks' `tensor`. A contiguous tensor is reduced
  // where it lies (no copy); a non-contiguous one through a contiguous copy written back.
  virtual void AllReduce(torch::Tensor& tensor, ReduceOp op) = 0;
  // Starts AllReduce and returns at once; `tensor` must stay untouched until Wait().
  virtual std::unique_ptr<Work> AllReduceAsync(torch::Tensor& tensor, ReduceOp op) = 0;
  // Concatenates every rank's `input` (same shape on all ranks) along `dim`, in rank order.
  virtual torch::Tensor AllGather(const torch::Tensor& input, int64_t dim) = 0;
  // Splits `input` into size() equal chunks along `dim`, reduces chunk r over all ranks and
  // returns it on rank r. `input`'s size along dim must be divisible by size().
  virtual torch::Tensor ReduceScatter(const torch::Tensor& input, int64_t dim, ReduceOp op) = 0;
  // In place: every rank ends with `root`'s tensor.
  virtual void Broadcast(torch::Tensor& tensor, int root) = 0;
  virtual void Barrier() = 0;
  // True when non-blocking collectives progress only while the host calls into the backend
  // (MPI): a caller with other work then calls Test() now and then. NCCL progresses alone.
  virtual bool NeedsHostProgress() const { return false; }
};

}  // namespace florenz
