// Device reads (device_reads.h): a CUDA tensor is copied into pinned host memory behind an
// event on the current stream, and the host polls that event (with the run's poll function)
// instead of blocking in cudaStreamSynchronize, so a wait for the device stays interruptible.
#include "parallel/device_reads.h"

#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

namespace florenz {
namespace {

std::atomic<int64_t> reads{0};
DeviceReadPoll& Poll() {
  static DeviceReadPoll poll;
  return poll;
}

// The host copy of `tensor`. For a CUDA tensor: a non-blocking copy into pinned memory, then
// the poll function runs while the copy (and all work queued before it) is pending.
torch::Tensor Copy(const torch::Tensor& tensor) {
  reads.fetch_add(1, std::memory_order_relaxed);
  if (!tensor.is_cuda()) return tensor.contiguous();
  torch::Tensor host =
      torch::empty(tensor.sizes(), torch::TensorOptions(tensor.scalar_type()).pinned_memory(true));
  host.copy_(tensor, /*non_blocking=*/true);
  // An event on the tensor's current stream marks the copy's completion. c10's
  // device-agnostic event is used because ATen's CUDA event API is absent from a CPU-only
  // LibTorch; torch::cuda::synchronize would block uninterruptibly.
  const c10::Device device = tensor.device();
  c10::impl::VirtualGuardImpl guard(device.type());
  c10::Event done(device.type());
  done.record(guard.getStream(device));
  const auto since = std::chrono::steady_clock::now();
  int spins = 0;
  while (!done.query()) {
    if (Poll() && spins % 16 == 15) {
      Poll()(std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
    }
    // Short waits first (a typical read completes in microseconds), then back off.
    if (++spins > 100) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return host;
}

}  // namespace

void SetDeviceReadPoll(DeviceReadPoll poll) { Poll() = std::move(poll); }

torch::Tensor ReadToHost(const torch::Tensor& tensor) { return Copy(tensor); }

double ReadDouble(const torch::Tensor& tensor) { return Copy(tensor).item<double>(); }

int64_t ReadInt64(const torch::Tensor& tensor) { return Copy(tensor).item<int64_t>(); }

std::vector<double> ReadDoubles(const torch::Tensor& tensor) {
  const torch::Tensor host = Copy(tensor).to(torch::kFloat64).contiguous();
  return std::vector<double>(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
}

std::vector<int64_t> ReadInt64s(const torch::Tensor& tensor) {
  const torch::Tensor host = Copy(tensor).to(torch::kInt64).contiguous();
  return std::vector<int64_t>(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
}

int64_t DeviceReads() { return reads.load(std::memory_order_relaxed); }

}  // namespace florenz
