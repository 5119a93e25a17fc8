// The MPI backend of Communicator under mpiexec -n 2 and -n 4: every collective against the
// values computed locally from what each rank contributed (rank-dependent inputs), in place
// where promised, for every supported dtype, and clear errors for what it refuses.
#include "parallel/communicator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "parallel/mpi_check.h"
#include "parallel/mpi_communicator.h"

namespace florenz {
namespace {

class CommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  MpiCommunicator comm_{MpiComm::Borrow(MPI_COMM_WORLD)};
  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }
  // Rank r's contribution: r + 1 + [0, 1, 2, …] / 8.
  torch::Tensor Contribution(int r, int64_t n, torch::ScalarType type) const {
    return (torch::arange(n, torch::kFloat64) / 8 + r + 1).to(type);
  }
};

TEST_F(CommunicatorTest, AllReduceSumMaxAverageInPlace) {
  for (auto type : {torch::kFloat32, torch::kFloat64, torch::kBFloat16, torch::kFloat16}) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kAverage}) {
      torch::Tensor t = Contribution(rank(), 10, type);
      const void* data = t.data_ptr();
      comm_.AllReduce(t, op);
      torch::Tensor expected = Contribution(0, 10, torch::kFloat64);
      for (int r = 1; r < size(); ++r) {
        const torch::Tensor c = Contribution(r, 10, torch::kFloat64);
        expected = op == ReduceOp::kMax ? torch::max(expected, c) : expected + c;
      }
      if (op == ReduceOp::kAverage) expected /= size();
      const double tolerance = (type == torch::kBFloat16 || type == torch::kFloat16) ? 3e-2 : 1e-6;
      EXPECT_TRUE(torch::allclose(t.to(torch::kFloat64), expected, tolerance, tolerance))
          << c10::toString(type) << " " << ToString(op);
      EXPECT_EQ(t.scalar_type(), type);
      EXPECT_EQ(t.data_ptr(), data) << "in place";
    }
  }
}

TEST_F(CommunicatorTest, AllReduceIntegersAndNonContiguous) {
  torch::Tensor ids = torch::full({3}, rank() + 1, torch::kInt64);
  comm_.AllReduce(ids, ReduceOp::kSum);
  EXPECT_EQ(ids[0].item<int64_t>(), size() * (size() + 1) / 2);
  comm_.AllReduce(ids, ReduceOp::kMax);
  EXPECT_EQ(ids[2].item<int64_t>(), size() * (size() + 1) / 2);
  EXPECT_THAT([&] { comm_.AllReduce(ids, ReduceOp::kAverage); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("cannot average-reduce")));

  torch::Tensor matrix = torch::full({4, 6}, static_cast<float>(rank() + 1));
  torch::Tensor column = matrix.t();  // non-contiguous view: reduced through a copy
  comm_.AllReduce(column, ReduceOp::kSum);
  EXPECT_TRUE(torch::all(matrix == static_cast<float>(size() * (size() + 1) / 2)).item<bool>());
}

TEST_F(CommunicatorTest, AsyncAllReduceCompletesOnWait) {
  std::vector<torch::Tensor> tensors;
  std::vector<std::unique_ptr<Work>> works;
  for (int k = 0; k < 3; ++k) tensors.push_back(torch::full({1000 * (k + 1)}, 1.0f * rank()));
  for (auto& t : tensors) works.push_back(comm_.AllReduceAsync(t, ReduceOp::kAverage));
  for (auto& work : works) work->Wait();
  for (auto& t : tensors) {
    EXPECT_FLOAT_EQ(t[0].item<float>(), (size() - 1) / 2.0f);
    EXPECT_FLOAT_EQ(t[-1].item<float>(), (size() - 1) / 2.0f);
  }
  EXPECT_TRUE(works[0]->Test());
}

TEST_F(CommunicatorTest, AllGatherConcatenatesInRankOrder) {
  torch::Tensor mine = torch::full({2, 3}, static_cast<float>(rank()));
  torch::Tensor rows = comm_.AllGather(mine, 0);
  torch::Tensor columns = comm_.AllGather(mine, -1);
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{2 * size(), 3}));
  ASSERT_EQ(columns.sizes(), (std::vector<int64_t>{2, 3 * size()}));
  for (int r = 0; r < size(); ++r) {
    EXPECT_TRUE(torch::all(rows.narrow(0, 2 * r, 2) == r).item<bool>());
    EXPECT_TRUE(torch::all(columns.narrow(1, 3 * r, 3) == r).item<bool>());
  }
  torch::Tensor half = torch::full({2}, rank(), torch::kBFloat16);
  EXPECT_EQ(comm_.AllGather(half, 0).scalar_type(), torch::kBFloat16);
}

TEST_F(CommunicatorTest, ReduceScatterKeepsThisRanksReducedChunk) {
  // Every rank contributes [0, 1, …, 2p) (+ rank along dim 1's copy); chunk r = rows 2r, 2r+1.
  torch::Tensor input = torch::arange(2 * size(), torch::kFloat32).view({2 * size(), 1}) + rank();
  torch::Tensor rows = comm_.ReduceScatter(input, 0, ReduceOp::kSum);
  const float ranks_sum = size() * (size() - 1) / 2.0f;
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_FLOAT_EQ(rows[0][0].item<float>(), size() * 2.0f * rank() + ranks_sum);
  EXPECT_FLOAT_EQ(rows[1][0].item<float>(), size() * (2.0f * rank() + 1) + ranks_sum);
  torch::Tensor columns = comm_.ReduceScatter(input.t(), 1, ReduceOp::kAverage);
  EXPECT_FLOAT_EQ(columns[0][1].item<float>(), 2.0f * rank() + 1 + ranks_sum / size());
  EXPECT_THAT([&] { comm_.ReduceScatter(torch::zeros({2 * size() + 1}), 0, ReduceOp::kSum); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("not divisible")));
}

TEST_F(CommunicatorTest, BroadcastFromEveryRootAndBarrier) {
  for (int root = 0; root < size(); ++root) {
    torch::Tensor t = torch::full({5}, rank() * 10, torch::kInt64);
    comm_.Broadcast(t, root);
    EXPECT_TRUE(torch::all(t == root * 10).item<bool>());
  }
  comm_.Barrier();
  torch::Tensor t = torch::zeros({1});
  EXPECT_THAT([&] { comm_.Broadcast(t, size()); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("broadcast from rank")));
}

TEST_F(CommunicatorTest, MpiErrorsCarryTheCallAndTheLibrarysMessage) {
  MpiComm own = MpiComm::Borrow(MPI_COMM_WORLD).Duplicate();  // MPI_ERRORS_RETURN set
  int value = 0;
  // A root outside the communicator is an MPI error: reported, not fatal to the job.
  EXPECT_THAT([&] { MPI_CHECK(MPI_Bcast(&value, 1, MPI_INT, size() + 3, own.get())); },
              ::testing::ThrowsMessage<RunError>(::testing::AllOf(
                  ::testing::HasSubstr("MPI_Bcast"), ::testing::HasSubstr("communicator_test.cc"),
                  ::testing::HasSubstr("root"))));
}

}  // namespace
}  // namespace florenz
