// NcclCommunicator: non-blocking NCCL communicators on CUDA tensors, bootstrapped over MPI;
// blocking collectives on the producer stream, non-blocking all-reduces on their own stream
// ordered with events, a watchdog that aborts on errors and timeouts.
#include "parallel/nccl_communicator.h"

#include <torch/torch.h>

#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/errors.h"
#include "parallel/cuda_check.h"
#include "parallel/gang_watch.h"

#ifdef FLORENZ_TORCH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace florenz {

void ThrowCudaError(cudaError_t code, const char* call, const char* file, int line) {
  throw RunError(FailedCallMessage(call, file, line, cudaGetErrorString(code)));
}

void ThrowNcclError(ncclResult_t code, const char* call, const char* file, int line) {
  throw RunError(FailedCallMessage(call, file, line, ncclGetErrorString(code)));
}

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

ncclDataType_t NcclType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return ncclFloat32;
    case torch::kFloat64:
      return ncclFloat64;
    case torch::kFloat16:
      return ncclFloat16;
    case torch::kBFloat16:
      return ncclBfloat16;
    case torch::kInt32:
      return ncclInt32;
    case torch::kInt64:
      return ncclInt64;
    default:
      throw RunError(std::string("NCCL backend: no NCCL type for ") + c10::toString(type));
  }
}

ncclRedOp_t NcclOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kMax:
      return ncclMax;
    case ReduceOp::kAverage:
      return ncclAvg;
  }
  return ncclSum;
}

// A non-blocking all-reduce. Its tensor is kept alive by the communicator's in-flight list
// until the collective completed, so the destructor neither waits nor releases anything under
// a running collective.
class NcclWork final : public Work {
 public:
  NcclWork(cudaEvent_t event, cudaStream_t consumer) : event_(event), consumer_(consumer) {}
  ~NcclWork() override {
    if (event_ != nullptr) cudaEventDestroy(event_);  // released once the event completed
  }
  // The consumer stream (the producer's: the rest of the step) waits for the collective; the
  // host does not.
  void Wait() override { CUDA_CHECK(cudaStreamWaitEvent(consumer_, event_, 0)); }
  bool Test() override {
    const cudaError_t state = cudaEventQuery(event_);
    if (state == cudaErrorNotReady) return false;
    CUDA_CHECK(state);
    return true;
  }

 private:
  cudaEvent_t event_;
  cudaStream_t consumer_;
};

}  // namespace

NcclCommunicator::NcclCommunicator(Communicator& bootstrap, int device, double timeout_seconds)
    : device_(device),
      rank_(bootstrap.rank()),
      size_(bootstrap.size()),
      timeout_seconds_(timeout_seconds) {
  int devices = 0;
  const cudaError_t probe = cudaGetDeviceCount(&devices);
  if (probe != cudaSuccess || devices == 0) {
    throw RunError(std::string("NCCL backend: no CUDA device on this node (") +
                   cudaGetErrorString(probe) + "); use the MPI backend on CPUs");
  }
  if (device < 0 || device >= devices) {
    throw RunError("NCCL backend: CUDA device " + std::to_string(device) + " requested, " +
                   std::to_string(devices) + " present");
  }
  CUDA_CHECK(cudaSetDevice(device_));
  ncclUniqueId id;
  if (rank_ == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  torch::Tensor bytes = torch::from_blob(&id, {static_cast<int64_t>(sizeof(id))}, torch::kUInt8);
  bootstrap.Broadcast(bytes, 0);  // in place, into `id`
  // Non-blocking: every call returns at once (ncclInProgress until NCCL has taken it), so no
  // host thread is ever stuck inside NCCL and ncclCommAbort can always end a collective.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclResult_t state = ncclCommInitRankConfig(&comm_, size_, id, rank_, &config);
  const auto started = Clock::now();
  while (state == ncclInProgress) {
    if (SecondsSince(started) > timeout_seconds_) {
      ncclCommAbort(comm_);
      throw RunError("NCCL backend: communicator set-up took longer than " +
                     std::to_string(int(timeout_seconds_)) +
                     " s (execution.collective_timeout): a peer is missing");
    }
    std::this_thread::yield();
    ncclCommGetAsyncError(comm_, &state);
  }
  if (state != ncclSuccess) {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    throw RunError(std::string("NCCL backend: communicator set-up failed: ") +
                   ncclGetErrorString(state));
  }
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
  watchdog_ = std::thread([this] { Watchdog(); });
}

NcclCommunicator::~NcclCommunicator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  // Destructors never throw and never wait for a peer that may be gone.
  if (std::uncaught_exceptions() > 0) Abort("the run failed while this communicator was in use");
  // Let the collectives in flight end (bounded by the timeout), then release the communicator.
  const auto started = Clock::now();
  while (!aborted_ && !in_flight_.empty()) {
    const cudaError_t state = cudaEventQuery(in_flight_.front().done);
    if (state == cudaErrorNotReady) {
      if (SecondsSince(started) > timeout_seconds_) Abort("shut down with a collective stuck");
      std::this_thread::yield();
      continue;
    }
    cudaEventDestroy(in_flight_.front().done);
    in_flight_.pop_front();
  }
  if (!aborted_ && comm_ != nullptr) {
    ncclResult_t state = ncclCommFinalize(comm_);
    while (state == ncclInProgress && SecondsSince(started) <= timeout_seconds_) {
      std::this_thread::yield();
      ncclCommGetAsyncError(comm_, &state);
    }
    if (state == ncclSuccess) {
      ncclCommDestroy(comm_);
    } else {
      Abort("finalize failed");
    }
  }
  // Whatever is still in flight after an abort keeps its tensor for the rest of the process.
  for (auto& entry : in_flight_) {
    GangWatch::Abandon(entry.keep);
    cudaEventDestroy(entry.done);
  }
  in_flight_.clear();
  if (ready_ != nullptr) cudaEventDestroy(ready_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void NcclCommunicator::Abort(const std::string& reason) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (aborted_) return;
  aborted_ = true;
  reason_ = reason;
  if (comm_ != nullptr) ncclCommAbort(comm_);  // ends the kernels waiting for a gone peer
  comm_ = nullptr;
}

void NcclCommunicator::ThrowIfUnhealthy() const {
  if (!aborted_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  throw RunError("NCCL communicator of " + std::to_string(size_) + " ranks aborted: " + reason_);
}

void NcclCommunicator::Watchdog() {
  cudaSetDevice(device_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    if (stop_ || aborted_) continue;
    // Completed collectives release their tensors; the oldest one still running decides the
    // timeout.
    while (!in_flight_.empty()) {
      const cudaError_t state = cudaEventQuery(in_flight_.front().done);
      if (state == cudaErrorNotReady) break;
      cudaEventDestroy(in_flight_.front().done);
      in_flight_.pop_front();
    }
    std::string reason;
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(comm_, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      reason = std::string("NCCL error: ") + ncclGetErrorString(async);
    } else if (!in_flight_.empty() && SecondsSince(in_flight_.front().started) > timeout_seconds_) {
      reason = "a collective ran longer than execution.collective_timeout (" +
               std::to_string(int(timeout_seconds_)) + " s): a peer is stuck or gone";
    }
    if (!reason.empty()) {
      aborted_ = true;
      reason_ = reason;
      ncclCommAbort(comm_);
      comm_ = nullptr;
      std::cerr << "florenz: rank " << rank_ << " of an NCCL communicator: " << reason
                << "; communicator aborted\n";
    }
  }
}

void NcclCommunicator::RequireDevice(const torch::Tensor& tensor, const char* what) const {
  if (!tensor.is_cuda()) {
    throw RunError(std::string("NCCL backend: ") + what + " needs a CUDA tensor, got one on " +
                   tensor.device().str() + " (CPU tensors go through the MPI backend)");
  }
  if (tensor.device().index() != device_) {
    throw RunError(std::string("NCCL backend: ") + what + " of a tensor on " +
                   tensor.device().str() + " by a communicator on cuda:" + std::to_string(device_));
  }
}

cudaStream_t NcclCommunicator::Producer() const {
#ifdef FLORENZ_TORCH_CUDA
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_)).stream();
#else
  return cudaStreamLegacy;  // a LibTorch without CUDA queues nothing on a GPU anyway
#endif
}

void NcclCommunicator::Call(const char* what, ncclResult_t result) {
  // The caller holds mutex_. A non-blocking communicator may still be taking the call.
  const auto started = Clock::now();
  while (result == ncclInProgress && SecondsSince(started) <= timeout_seconds_) {
    std::this_thread::yield();
    ncclCommGetAsyncError(comm_, &result);
  }
  if (result == ncclSuccess) return;
  const std::string reason =
      std::string(what) + ": " +
      (result == ncclInProgress ? std::string("not accepted in time") : ncclGetErrorString(result));
  aborted_ = true;
  reason_ = reason;
  ncclCommAbort(comm_);
  comm_ = nullptr;
  throw RunError("NCCL backend: " + reason);
}

void NcclCommunicator::Track(cudaStream_t stream, torch::Tensor keep) {
  while (!in_flight_.empty() && cudaEventQuery(in_flight_.front().done) == cudaSuccess) {
    cudaEventDestroy(in_flight_.front().done);
    in_flight_.pop_front();
  }
  cudaEvent_t done = nullptr;
  CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(done, stream));
  in_flight_.push_back(InFlight{done, Clock::now(), std::move(keep)});
}

void NcclCommunicator::AllReduce(torch::Tensor& tensor, ReduceOp op) {
  RequireDevice(tensor, "all-reduce");
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  const cudaStream_t producer = Producer();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ThrowIfAborted();
    Call("all-reduce", ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                                     NcclType(buffer.scalar_type()), NcclOp(op), comm_, producer));
    Track(producer, {});  // the producer stream orders its buffers' reuse
  }
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);  // on the producer stream, after it
}

std::unique_ptr<Work> NcclCommunicator::AllReduceAsync(torch::Tensor& tensor, ReduceOp op) {
  if (!tensor.is_contiguous()) {
    throw RunError("NCCL backend: a non-blocking all-reduce needs a contiguous tensor");
  }
  RequireDevice(tensor, "all-reduce");
  const cudaStream_t producer = Producer();
  cudaEvent_t event = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ThrowIfAborted();
    // After the producer's queued work (the gradients in this bucket), on the own stream.
    CUDA_CHECK(cudaEventRecord(ready_, producer));
    CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0));
    Call("all-reduce", ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(),
                                     NcclType(tensor.scalar_type()), NcclOp(op), comm_, stream_));
    Track(stream_, tensor);
    CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(event, stream_));
  }
  return std::make_unique<NcclWork>(event, producer);
}

torch::Tensor NcclCommunicator::AllGather(const torch::Tensor& input, int64_t dim) {
  RequireDevice(input, "all-gather");
  const int64_t rank = input.dim();
  if (dim < -rank || dim >= rank) throw RunError("all-gather along a missing dimension");
  if (dim < 0) dim += rank;
  const torch::Tensor local = input.contiguous();
  std::vector<int64_t> shape = local.sizes().vec();
  shape.insert(shape.begin(), size_);
  torch::Tensor gathered = torch::empty(shape, local.options());  // [p, *input]
  const cudaStream_t producer = Producer();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ThrowIfAborted();
    Call("all-gather", ncclAllGather(local.data_ptr(), gathered.data_ptr(), local.numel(),
                                     NcclType(local.scalar_type()), comm_, producer));
    Track(producer, {});  // the producer stream orders its buffers' reuse
  }
  if (dim == 0) {
    shape.erase(shape.begin());
    shape[0] *= size_;
    return gathered.view(shape);
  }
  return torch::cat(gathered.unbind(0), dim);
}

torch::Tensor NcclCommunicator::ReduceScatter(const torch::Tensor& input, int64_t dim,
                                              ReduceOp op) {
  RequireDevice(input, "reduce-scatter");
  if (input.size(dim) % size_ != 0) {
    throw RunError("reduce-scatter of size " + std::to_string(input.size(dim)) + " over " +
                   std::to_string(size_) + " ranks: not divisible");
  }
  const torch::Tensor send = torch::stack(input.chunk(size_, dim), 0).contiguous();
  torch::Tensor out = torch::empty(send.sizes().slice(1), send.options());
  const cudaStream_t producer = Producer();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ThrowIfAborted();
    Call("reduce-scatter",
         ncclReduceScatter(send.data_ptr(), out.data_ptr(), out.numel(),
                           NcclType(send.scalar_type()), NcclOp(op), comm_, producer));
    Track(producer, {});  // the producer stream orders its buffers' reuse
  }
  return out;
}

void NcclCommunicator::Broadcast(torch::Tensor& tensor, int root) {
  RequireDevice(tensor, "broadcast");
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  const cudaStream_t producer = Producer();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ThrowIfAborted();
    Call("broadcast", ncclBroadcast(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                                    NcclType(buffer.scalar_type()), root, comm_, producer));
    Track(producer, {});  // the producer stream orders its buffers' reuse
  }
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

void NcclCommunicator::Barrier() {
  std::lock_guard<std::mutex> lock(mutex_);
  ThrowIfAborted();
  CUDA_CHECK(cudaEventRecord(ready_, stream_));
  CUDA_CHECK(cudaStreamWaitEvent(Producer(), ready_, 0));
}

void NcclCommunicator::ThrowIfAborted() const {
  // The caller holds mutex_.
  if (aborted_) {
    throw RunError("NCCL communicator of " + std::to_string(size_) + " ranks aborted: " + reason_);
  }
}

}  // namespace florenz
