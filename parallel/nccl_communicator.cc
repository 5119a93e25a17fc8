// NcclCommunicator: NCCL collectives on CUDA tensors, bootstrapped over MPI; blocking ones on
// the producer stream, non-blocking all-reduces on their own stream ordered with events.
#include "parallel/nccl_communicator.h"

#include <torch/torch.h>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/errors.h"
#include "parallel/cuda_check.h"
#include "parallel/mpi_check.h"

namespace florenz {

void ThrowCudaError(cudaError_t code, const char* call, const char* file, int line) {
  throw RunError(FailedCallMessage(call, file, line, cudaGetErrorString(code)));
}

void ThrowNcclError(ncclResult_t code, const char* call, const char* file, int line) {
  throw RunError(FailedCallMessage(call, file, line, ncclGetErrorString(code)));
}

namespace {

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

class NcclWork final : public Work {
 public:
  NcclWork(cudaEvent_t event, torch::Tensor keep) : event_(event), keep_(std::move(keep)) {}
  ~NcclWork() override {
    if (event_ != nullptr) cudaEventDestroy(event_);  // never throws
  }
  // The collective is queued before everything later on the producer stream; Wait() blocks
  // the host too, so a caller may read the result right after.
  void Wait() override { CUDA_CHECK(cudaEventSynchronize(event_)); }
  bool Test() override {
    const cudaError_t state = cudaEventQuery(event_);
    if (state == cudaErrorNotReady) return false;
    CUDA_CHECK(state);
    return true;
  }

 private:
  cudaEvent_t event_;
  torch::Tensor keep_;
};

}  // namespace

NcclCommunicator::NcclCommunicator(MpiComm comm, int device)
    : mpi_(std::move(comm)), device_(device), rank_(mpi_.rank()), size_(mpi_.size()) {
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
  MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, mpi_.get()));
  NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
}

NcclCommunicator::~NcclCommunicator() {
  // Destructors never throw: errors are reported and the rest is still released.
  // Blocking collectives were queued on the producer stream: let them finish too.
  if ((stream_ != nullptr && cudaStreamSynchronize(stream_) != cudaSuccess) ||
      cudaStreamSynchronize(producer_) != cudaSuccess) {
    std::cerr << "florenz: warning: NCCL stream failed at shutdown\n";
  }
  if (comm_ != nullptr) ncclCommDestroy(comm_);
  if (ready_ != nullptr) cudaEventDestroy(ready_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
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

void NcclCommunicator::OrderAfterProducer() {
  CUDA_CHECK(cudaEventRecord(ready_, producer_));
  CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0));
}

void NcclCommunicator::AllReduce(torch::Tensor& tensor, ReduceOp op) {
  RequireDevice(tensor, "all-reduce");
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  NCCL_CHECK(ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                           NcclType(buffer.scalar_type()), NcclOp(op), comm_, producer_));
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);  // on the producer stream, after it
}

std::unique_ptr<Work> NcclCommunicator::AllReduceAsync(torch::Tensor& tensor, ReduceOp op) {
  if (!tensor.is_contiguous()) {
    throw RunError("NCCL backend: a non-blocking all-reduce needs a contiguous tensor");
  }
  RequireDevice(tensor, "all-reduce");
  OrderAfterProducer();
  NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(),
                           NcclType(tensor.scalar_type()), NcclOp(op), comm_, stream_));
  cudaEvent_t event = nullptr;
  CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(event, stream_));
  CUDA_CHECK(cudaStreamWaitEvent(producer_, event, 0));
  return std::make_unique<NcclWork>(event, tensor);
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
  NCCL_CHECK(ncclAllGather(local.data_ptr(), gathered.data_ptr(), local.numel(),
                           NcclType(local.scalar_type()), comm_, producer_));
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
  NCCL_CHECK(ncclReduceScatter(send.data_ptr(), out.data_ptr(), out.numel(),
                               NcclType(send.scalar_type()), NcclOp(op), comm_, producer_));
  return out;
}

void NcclCommunicator::Broadcast(torch::Tensor& tensor, int root) {
  RequireDevice(tensor, "broadcast");
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  NCCL_CHECK(ncclBroadcast(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                           NcclType(buffer.scalar_type()), root, comm_, producer_));
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

void NcclCommunicator::Barrier() {
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  CUDA_CHECK(cudaStreamSynchronize(producer_));
  MPI_CHECK(MPI_Barrier(mpi_.get()));
}

}  // namespace florenz
