// The NCCL backend of Communicator, for CUDA tensors (what GPU clusters use). Bootstrapped by
// broadcasting an ncclUniqueId over an MPI communicator of the same ranks (the pattern of the
// NCCL documentation), created non-blocking so that it can always be aborted.
// Ordering, without host waits:
// - every collective is ordered after the work already queued on the producer stream (LibTorch's
//   current stream of the device) and before the work queued on it afterwards;
// - a blocking one is queued on the producer stream itself, which orders it for free (the
//   events an own stream needs cost 1.7 µs a call on an H100, six times a one-rank
//   ncclAllReduce: docs/performance.md);
// - a non-blocking all-reduce runs on the communicator's own stream after an event on the
//   producer stream, so the producer's later kernels (the rest of backward) overlap it; its
//   Work's Wait() makes the producer stream wait for it (cudaStreamWaitEvent), never the host.
// Containment (as torch's ProcessGroupNCCL): a watchdog thread polls ncclCommGetAsyncError and
// the oldest collective in flight, and aborts the communicator (ncclCommAbort) on an error or
// past the collective timeout, which frees kernels spinning on a gone peer; the training
// thread sees it at its next device read (healthy()). Tensors in flight stay alive until their
// collective completed. Built when CMake finds CUDA and NCCL (FLORENZ_WITH_NCCL).
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "parallel/communicator.h"

namespace florenz {

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `bootstrap` (a host communicator of the same ranks, e.g. MPI with a gang
  // watch): its rank 0 creates the unique id and broadcasts it, every rank joins on CUDA device
  // `device`. A collective in flight longer than `timeout_seconds` aborts the communicator.
  // Throws RunError (with CUDA's or NCCL's message) where no GPU is present or `device` does
  // not exist.
  NcclCommunicator(Communicator& bootstrap, int device, double timeout_seconds);
  // Destroys the communicator once its work is done, or aborts it when it is unhealthy or an
  // exception unwinds (then nothing waits for a peer).
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "nccl"; }
  int device() const { return device_; }

  // Asynchronous with respect to the host, like every CUDA kernel: the result is ordered
  // before later work on the producer stream.
  void AllReduce(torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Work> AllReduceAsync(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor AllGather(const torch::Tensor& input, int64_t dim) override;
  torch::Tensor ReduceScatter(const torch::Tensor& input, int64_t dim, ReduceOp op) override;
  void Broadcast(torch::Tensor& tensor, int root) override;
  // Orders the producer stream after this communicator's stream; the host does not wait (the
  // gang's host-side barrier runs over MPI: ProcessGroups::gang()).
  void Barrier() override;

  // Throws RunError with the reason when the communicator was aborted (by the watchdog, on an
  // NCCL error or a timeout, or by Abort()).
  void ThrowIfUnhealthy() const;
  // ncclCommAbort: every collective in flight ends, later calls throw. Safe from any thread.
  void Abort(const std::string& reason) noexcept;

 private:
  struct InFlight {
    cudaEvent_t done = nullptr;
    std::chrono::steady_clock::time_point started;
    torch::Tensor keep;  // released once the collective completed
  };

  void RequireDevice(const torch::Tensor& tensor, const char* what) const;
  // LibTorch's current stream on this device (the legacy default stream with a CPU LibTorch).
  cudaStream_t Producer() const;
  // Throws when aborted; the caller holds mutex_.
  void ThrowIfAborted() const;
  // Runs one NCCL call under the communicator's lock and waits (on the host, briefly) until
  // a non-blocking communicator has accepted it; throws on an error.
  void Call(const char* what, ncclResult_t result);
  // Records an event on `stream` after a collective and tracks it until it completes.
  void Track(cudaStream_t stream, torch::Tensor keep);
  void Watchdog();

  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  int device_ = 0;
  int rank_ = 0;
  int size_ = 1;
  double timeout_seconds_;

  mutable std::mutex mutex_;  // comm_ calls, in_flight_, reason_
  std::deque<InFlight> in_flight_;
  std::string reason_;  // why it was aborted; empty while healthy
  std::atomic<bool> aborted_{false};
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread watchdog_;
};

}  // namespace florenz
