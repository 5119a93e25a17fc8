// The NCCL backend of Communicator under mpiexec -n 2 (CTest label `gpu`): every collective on
// CUDA tensors against the values computed from what each rank contributed, and clear errors
// for a CPU tensor, a missing device and a node without a GPU. Where there is no GPU, no CUDA
// LibTorch or fewer GPUs than ranks, the CUDA tests skip and say why.
#include "parallel/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/errors.h"
#include "parallel/mpi_comm.h"
#include "parallel/mpi_communicator.h"
#include "tests/mpi_test_util.h"

namespace florenz {
namespace {

using testing::WorldRank;
using testing::WorldSize;

// CUDA devices this process sees (0 where the driver or runtime is missing), and why none.
int DeviceCount(std::string* why) {
  int devices = 0;
  const cudaError_t code = cudaGetDeviceCount(&devices);
  if (code != cudaSuccess) {
    *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(code);
    return 0;
  }
  if (devices == 0) *why = "cudaGetDeviceCount: 0 devices";
  return devices;
}

// Why the CUDA-tensor tests cannot run here; empty when they can. The same on every rank of
// one node, so all ranks skip together and no collective is left waiting.
std::string SkipReason() {
  std::string why;
  const int devices = DeviceCount(&why);
  if (devices == 0) return "no GPU (" + why + ")";
  if (!torch::cuda::is_available()) {
    return "LibTorch has no CUDA (Debian's is CPU-only; configure with a CUDA LibTorch: "
           "-DTorch_DIR=.../share/cmake/Torch)";
  }
  if (devices < WorldSize()) {
    return "NCCL needs one GPU per rank: " + std::to_string(devices) + " GPU(s), " +
           std::to_string(WorldSize()) + " ranks";
  }
  return "";
}

TEST(NcclCommunicatorWithoutGpu, ConstructionThrowsAClearRunError) {
  std::string why;
  if (DeviceCount(&why) > 0) GTEST_SKIP() << "a GPU is present";
  MpiCommunicator bootstrap(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate());
  EXPECT_THAT([&] { NcclCommunicator(bootstrap, 0, /*timeout_seconds=*/60); },
              ::testing::ThrowsMessage<RunError>(::testing::AllOf(
                  ::testing::HasSubstr("NCCL backend: no CUDA device on this node"),
                  ::testing::HasSubstr("use the MPI backend on CPUs"))));
}

TEST(NcclCommunicatorWithGpu, AMissingDeviceIsNamed) {
  std::string why;
  const int devices = DeviceCount(&why);
  if (devices == 0) GTEST_SKIP() << "no GPU (" << why << ")";
  MpiCommunicator bootstrap(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate());
  EXPECT_THAT([&] { NcclCommunicator(bootstrap, devices, /*timeout_seconds=*/60); },
              ::testing::ThrowsMessage<RunError>(
                  ::testing::HasSubstr("CUDA device " + std::to_string(devices) + " requested, " +
                                       std::to_string(devices) + " present")));
}

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = new std::string(SkipReason());
    if (skip_->empty()) {
      std::string why;
      MpiCommunicator bootstrap(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate());
      comm_ = new NcclCommunicator(bootstrap, WorldRank() % DeviceCount(&why),
                                   /*timeout_seconds=*/120);
    }
  }
  static void TearDownTestSuite() {
    delete comm_;
    comm_ = nullptr;
    delete skip_;
    skip_ = nullptr;
  }
  void SetUp() override {
    if (!skip_->empty()) GTEST_SKIP() << "NCCL tests skipped: " << *skip_;
  }

  NcclCommunicator& comm() { return *comm_; }
  int rank() const { return comm_->rank(); }
  int size() const { return comm_->size(); }
  torch::TensorOptions Cuda(torch::ScalarType type = torch::kFloat32) const {
    return torch::dtype(type).device(torch::kCUDA, comm_->device());
  }
  // Rank r's contribution, on the host in float64: r + 1 + [0, 1, 2, …] / 8, shaped `shape`.
  static torch::Tensor Contribution(int r, at::IntArrayRef shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return (torch::arange(n, torch::kFloat64) / 8 + r + 1).view(shape);
  }

  static std::string* skip_;
  static NcclCommunicator* comm_;
};

std::string* NcclCommunicatorTest::skip_ = nullptr;
NcclCommunicator* NcclCommunicatorTest::comm_ = nullptr;

TEST_F(NcclCommunicatorTest, AllReduceSumMaxAverageInPlace) {
  for (auto type : {torch::kFloat32, torch::kFloat64, torch::kFloat16, torch::kBFloat16}) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kAverage}) {
      torch::Tensor t = Contribution(rank(), {10}).to(Cuda(type));
      const void* data = t.data_ptr();
      comm().AllReduce(t, op);
      torch::Tensor expected = Contribution(0, {10});
      for (int r = 1; r < size(); ++r) {
        const torch::Tensor c = Contribution(r, {10});
        expected = op == ReduceOp::kMax ? torch::max(expected, c) : expected + c;
      }
      if (op == ReduceOp::kAverage) expected /= size();
      const bool half = type == torch::kFloat16 || type == torch::kBFloat16;
      const double tolerance = half ? 3e-2 : 1e-6;
      EXPECT_TRUE(torch::allclose(t.cpu().to(torch::kFloat64), expected, tolerance, tolerance))
          << c10::toString(type) << " " << ToString(op);
      EXPECT_EQ(t.data_ptr(), data) << "in place";
    }
  }
}

TEST_F(NcclCommunicatorTest, ANonContiguousTensorIsReducedThroughACopyIntoItself) {
  torch::Tensor base = Contribution(rank(), {4, 6}).to(Cuda());
  torch::Tensor view = base.t();  // [6, 4], not contiguous: reduced in a buffer, copied back
  ASSERT_FALSE(view.is_contiguous());
  comm().AllReduce(view, ReduceOp::kSum);
  torch::Tensor expected = torch::zeros({4, 6}, torch::kFloat64);
  for (int r = 0; r < size(); ++r) expected += Contribution(r, {4, 6});
  EXPECT_TRUE(torch::allclose(base.cpu().to(torch::kFloat64), expected, 1e-6, 1e-6));
  torch::Tensor broadcast = Contribution(rank(), {4, 6}).to(Cuda()).t();
  comm().Broadcast(broadcast, size() - 1);
  EXPECT_TRUE(torch::allclose(broadcast.cpu().to(torch::kFloat64),
                              Contribution(size() - 1, {4, 6}).t(), 1e-6, 1e-6));
}

TEST_F(NcclCommunicatorTest, AsyncAllReduceCompletesOnWait) {
  torch::Tensor t = Contribution(rank(), {1000}).to(Cuda());
  auto work = comm().AllReduceAsync(t, ReduceOp::kSum);
  work->Wait();
  EXPECT_TRUE(work->Test());
  torch::Tensor expected = torch::zeros({1000}, torch::kFloat64);
  for (int r = 0; r < size(); ++r) expected += Contribution(r, {1000});
  EXPECT_TRUE(torch::allclose(t.cpu().to(torch::kFloat64), expected, 1e-6, 1e-6));
}

TEST_F(NcclCommunicatorTest, AllGatherConcatenatesInRankOrder) {
  const torch::Tensor local = Contribution(rank(), {2, 3}).to(Cuda());
  for (int64_t dim : {0, 1}) {
    const torch::Tensor gathered = comm().AllGather(local, dim).cpu().to(torch::kFloat64);
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < size(); ++r) parts.push_back(Contribution(r, {2, 3}));
    EXPECT_TRUE(torch::allclose(gathered, torch::cat(parts, dim), 1e-6, 1e-6)) << "dim " << dim;
  }
}

TEST_F(NcclCommunicatorTest, ReduceScatterKeepsThisRanksReducedChunk) {
  const int64_t rows = 2 * size();
  const torch::Tensor input = Contribution(rank(), {rows, 3}).to(Cuda());
  torch::Tensor sum = torch::zeros({rows, 3}, torch::kFloat64);
  for (int r = 0; r < size(); ++r) sum += Contribution(r, {rows, 3});
  const torch::Tensor mine = comm().ReduceScatter(input, 0, ReduceOp::kSum).cpu();
  EXPECT_TRUE(torch::allclose(mine.to(torch::kFloat64), sum.chunk(size(), 0)[rank()], 1e-6, 1e-6));
  if (size() > 1) {  // on one rank every size divides
    EXPECT_THAT(
        [&] {
          comm().ReduceScatter(Contribution(rank(), {size() + 1}).to(Cuda()), 0, ReduceOp::kSum);
        },
        ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("not divisible")));
  }
}

TEST_F(NcclCommunicatorTest, BroadcastFromEveryRootAndBarrier) {
  for (int root = 0; root < size(); ++root) {
    torch::Tensor t = Contribution(rank(), {5}).to(Cuda());
    comm().Broadcast(t, root);
    EXPECT_TRUE(torch::allclose(t.cpu().to(torch::kFloat64), Contribution(root, {5}), 1e-6, 1e-6))
        << "root " << root;
  }
  comm().Barrier();
}

TEST_F(NcclCommunicatorTest, ACpuTensorIsRefusedWithTheBackendToUse) {
  torch::Tensor cpu = torch::ones({4});
  EXPECT_THAT([&] { comm().AllReduce(cpu, ReduceOp::kSum); },
              ::testing::ThrowsMessage<RunError>(::testing::AllOf(
                  ::testing::HasSubstr("NCCL backend: all-reduce needs a CUDA tensor"),
                  ::testing::HasSubstr("CPU tensors go through the MPI backend"))));
  EXPECT_THAT([&] { comm().AllGather(cpu, 0); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("needs a CUDA tensor")));
  EXPECT_THAT([&] { comm().Broadcast(cpu, 0); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("needs a CUDA tensor")));
}

}  // namespace
}  // namespace florenz
