// MpiCommunicator: Communicator over Open MPI for CPU tensors. Contiguous tensors are handed
// to MPI where they lie (MPI_IN_PLACE); 16-bit floats go through a float32 copy.
#include "parallel/mpi_communicator.h"

#include <torch/torch.h>

#include <climits>
#include <exception>
#include <iostream>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "parallel/mpi_check.h"

namespace florenz {

const char* ToString(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
    case ReduceOp::kMax:
      return "max";
    case ReduceOp::kAverage:
      return "average";
  }
  return "?";
}

namespace {

// MPI counts are ints: larger buffers go in chunks of this many elements.
constexpr int64_t kMaxCount = INT_MAX / 2;

void RequireCpu(const torch::Tensor& tensor, const char* what) {
  if (!tensor.device().is_cpu()) {
    throw RunError(std::string("MPI backend: ") + what + " needs a CPU tensor, got one on " +
                   tensor.device().str() + " (CUDA tensors go through the NCCL backend)");
  }
}

bool IsHalf(torch::ScalarType type) { return type == torch::kBFloat16 || type == torch::kFloat16; }

// The MPI datatype that reduces `type`; throws for types MPI cannot reduce.
MPI_Datatype ReduceType(torch::ScalarType type, ReduceOp op) {
  switch (type) {
    case torch::kFloat32:
      return MPI_FLOAT;
    case torch::kFloat64:
      return MPI_DOUBLE;
    case torch::kInt32:
      if (op == ReduceOp::kAverage) break;
      return MPI_INT32_T;
    case torch::kInt64:
      if (op == ReduceOp::kAverage) break;
      return MPI_INT64_T;
    default:
      break;
  }
  throw RunError(std::string("MPI backend: cannot ") + ToString(op) + "-reduce a " +
                 std::string(c10::toString(type)) +
                 " tensor (float32, float64, bfloat16, float16; int32/int64 for sum and max)");
}

MPI_Op ReduceOperation(ReduceOp op) { return op == ReduceOp::kMax ? MPI_MAX : MPI_SUM; }

// The tensor MPI reduces for `tensor`: itself when contiguous and of an MPI type, else a
// contiguous (float32 for 16-bit floats) copy that Finish() writes back.
torch::Tensor ReductionBuffer(const torch::Tensor& tensor) {
  if (IsHalf(tensor.scalar_type())) return tensor.to(torch::kFloat32).contiguous();
  return tensor.is_contiguous() ? tensor : tensor.contiguous();
}

void Finish(torch::Tensor& tensor, torch::Tensor& buffer, ReduceOp op, int size) {
  if (op == ReduceOp::kAverage) buffer.div_(size);
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

class MpiWork final : public Work {
 public:
  MpiWork(torch::Tensor tensor, torch::Tensor buffer, ReduceOp op, int size, GangWatch* watch)
      : tensor_(std::move(tensor)),
        buffer_(std::move(buffer)),
        op_(op),
        size_(size),
        watch_(watch) {}
  ~MpiWork() override {
    if (done_) return;
    // A failed gang unwinding (or one whose wait was abandoned): never block; the buffers stay
    // alive for the collective that may still write into them.
    if (std::uncaught_exceptions() > 0 || (watch_ != nullptr && watch_->aborted())) {
      GangWatch::Abandon(tensor_);
      GangWatch::Abandon(buffer_);
      return;
    }
    try {
      Wait();
    } catch (const std::exception& e) {
      std::cerr << "florenz: warning: all-reduce failed while discarded: " << e.what() << "\n";
    }
  }
  std::vector<MPI_Request>& requests() { return requests_; }

  void Wait() override {
    if (done_) return;
    try {
      WaitForRequests(requests_, watch_, "a data-parallel all-reduce");
    } catch (...) {
      GangWatch::Abandon(tensor_);
      GangWatch::Abandon(buffer_);
      done_ = true;  // nothing more to wait for here
      throw;
    }
    Complete();
  }
  bool Test() override {
    if (done_) return true;
    int flag = 0;
    MPI_CHECK(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag,
                          MPI_STATUSES_IGNORE));
    if (flag) Complete();
    return done_;
  }

 private:
  void Complete() {
    done_ = true;
    Finish(tensor_, buffer_, op_, size_);
  }

  torch::Tensor tensor_;
  torch::Tensor buffer_;
  ReduceOp op_;
  int size_;
  GangWatch* watch_;
  std::vector<MPI_Request> requests_;
  bool done_ = false;
};

// A Work that is already complete (a communicator of one rank).
class DoneWork final : public Work {
 public:
  void Wait() override {}
  bool Test() override { return true; }
};

int64_t NormalizeDim(const torch::Tensor& t, int64_t dim) {
  const int64_t rank = t.dim();
  if (dim < -rank || dim >= rank) {
    throw RunError("collective along dimension " + std::to_string(dim) + " of a " +
                   std::to_string(rank) + "-d tensor");
  }
  return dim < 0 ? dim + rank : dim;
}

int ByteCount(const torch::Tensor& t) {
  const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
  if (bytes > INT_MAX) {
    throw RunError("MPI backend: " + std::to_string(bytes) +
                   " bytes in one all-gather or broadcast exceed MPI's int count");
  }
  return static_cast<int>(bytes);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MpiComm comm, GangWatch* watch)
    : comm_(std::move(comm)), watch_(watch), rank_(comm_.rank()), size_(comm_.size()) {}

MpiCommunicator::~MpiCommunicator() {
  // An abandoned collective may still be pending on this communicator: freeing it would let a
  // later communicator take its context id and match the collective's stale messages.
  if (watch_ != nullptr && watch_->aborted()) comm_.Release();
}

void MpiCommunicator::Await(std::vector<MPI_Request>& requests,
                            std::initializer_list<torch::Tensor> keep, const char* what) {
  try {
    WaitForRequests(requests, watch_, what);
  } catch (...) {
    for (const auto& tensor : keep) GangWatch::Abandon(tensor);
    throw;
  }
}

void MpiCommunicator::AllReduce(torch::Tensor& tensor, ReduceOp op) {
  RequireCpu(tensor, "all-reduce");
  torch::Tensor buffer = ReductionBuffer(tensor);
  const MPI_Datatype type = ReduceType(buffer.scalar_type(), op);
  if (size_ > 1) {
    char* data = static_cast<char*>(buffer.data_ptr());
    std::vector<MPI_Request> requests;
    for (int64_t first = 0; first < buffer.numel(); first += kMaxCount) {
      const int count = static_cast<int>(std::min(kMaxCount, buffer.numel() - first));
      if (watch_ == nullptr) {
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + first * buffer.element_size(), count, type,
                                ReduceOperation(op), comm_.get()));
      } else {
        requests.push_back(MPI_REQUEST_NULL);
        MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, data + first * buffer.element_size(), count, type,
                                 ReduceOperation(op), comm_.get(), &requests.back()));
      }
    }
    if (!requests.empty()) Await(requests, {tensor, buffer}, "an all-reduce");
  }
  Finish(tensor, buffer, op, size_);
}

std::unique_ptr<Work> MpiCommunicator::AllReduceAsync(torch::Tensor& tensor, ReduceOp op) {
  RequireCpu(tensor, "all-reduce");
  if (size_ == 1) {
    AllReduce(tensor, op);
    return std::make_unique<DoneWork>();
  }
  torch::Tensor buffer = ReductionBuffer(tensor);
  const MPI_Datatype type = ReduceType(buffer.scalar_type(), op);
  auto work = std::make_unique<MpiWork>(tensor, buffer, op, size_, watch_);
  char* data = static_cast<char*>(buffer.data_ptr());
  for (int64_t first = 0; first < buffer.numel(); first += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, buffer.numel() - first));
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, data + first * buffer.element_size(), count, type,
                             ReduceOperation(op), comm_.get(), &request));
    work->requests().push_back(request);
  }
  return work;
}

torch::Tensor MpiCommunicator::AllGather(const torch::Tensor& input, int64_t dim) {
  RequireCpu(input, "all-gather");
  dim = NormalizeDim(input, dim);
  const torch::Tensor local = input.contiguous();
  std::vector<int64_t> shape = local.sizes().vec();
  shape.insert(shape.begin(), size_);
  torch::Tensor gathered = torch::empty(shape, local.options());  // [p, *input]
  const int bytes = ByteCount(local);
  if (watch_ == nullptr) {
    MPI_CHECK(MPI_Allgather(local.data_ptr(), bytes, MPI_BYTE, gathered.data_ptr(), bytes, MPI_BYTE,
                            comm_.get()));
  } else {
    std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
    MPI_CHECK(MPI_Iallgather(local.data_ptr(), bytes, MPI_BYTE, gathered.data_ptr(), bytes,
                             MPI_BYTE, comm_.get(), &requests[0]));
    Await(requests, {local, gathered}, "an all-gather");
  }
  if (dim == 0) {
    shape.erase(shape.begin());
    shape[0] *= size_;
    return gathered.view(shape);
  }
  return torch::cat(gathered.unbind(0), dim);
}

torch::Tensor MpiCommunicator::ReduceScatter(const torch::Tensor& input, int64_t dim, ReduceOp op) {
  RequireCpu(input, "reduce-scatter");
  dim = NormalizeDim(input, dim);
  if (input.size(dim) % size_ != 0) {
    throw RunError("reduce-scatter of size " + std::to_string(input.size(dim)) +
                   " along dimension " + std::to_string(dim) + " over " + std::to_string(size_) +
                   " ranks: not divisible");
  }
  // The chunks laid out one after another, rank order: [p, *chunk].
  torch::Tensor chunks = torch::stack(input.chunk(size_, dim), 0);
  torch::Tensor send =
      IsHalf(input.scalar_type()) ? chunks.to(torch::kFloat32).contiguous() : chunks.contiguous();
  const MPI_Datatype type = ReduceType(send.scalar_type(), op);
  torch::Tensor out = torch::empty(send.sizes().slice(1), send.options());
  if (out.numel() > kMaxCount) throw RunError("reduce-scatter chunk exceeds MPI's int count");
  if (watch_ == nullptr) {
    MPI_CHECK(MPI_Reduce_scatter_block(send.data_ptr(), out.data_ptr(),
                                       static_cast<int>(out.numel()), type, ReduceOperation(op),
                                       comm_.get()));
  } else {
    std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
    MPI_CHECK(MPI_Ireduce_scatter_block(send.data_ptr(), out.data_ptr(),
                                        static_cast<int>(out.numel()), type, ReduceOperation(op),
                                        comm_.get(), &requests[0]));
    Await(requests, {send, out}, "a reduce-scatter");
  }
  if (op == ReduceOp::kAverage) out.div_(size_);
  return out.scalar_type() == input.scalar_type() ? out : out.to(input.scalar_type());
}

void MpiCommunicator::Broadcast(torch::Tensor& tensor, int root) {
  RequireCpu(tensor, "broadcast");
  if (root < 0 || root >= size_) {
    throw RunError("broadcast from rank " + std::to_string(root) + " of " + std::to_string(size_));
  }
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  if (watch_ == nullptr) {
    MPI_CHECK(MPI_Bcast(buffer.data_ptr(), ByteCount(buffer), MPI_BYTE, root, comm_.get()));
  } else {
    std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
    MPI_CHECK(MPI_Ibcast(buffer.data_ptr(), ByteCount(buffer), MPI_BYTE, root, comm_.get(),
                         &requests[0]));
    Await(requests, {tensor, buffer}, "a broadcast");
  }
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

void MpiCommunicator::Barrier() {
  if (watch_ == nullptr) {
    MPI_CHECK(MPI_Barrier(comm_.get()));
    return;
  }
  std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
  MPI_CHECK(MPI_Ibarrier(comm_.get(), &requests[0]));
  Await(requests, {}, "a barrier");
}

}  // namespace florenz
