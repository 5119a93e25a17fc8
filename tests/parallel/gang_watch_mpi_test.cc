// GangWatch (parallel/gang_watch.h) under mpiexec -n 2: a watched collective that one rank
// never joins ends on the other with GangAborted (the failing rank's notice, at once) or
// CollectiveTimeout (no notice, after the timeout) instead of a hang; a notice of another gang
// is dropped; a gang that completes its collectives is unaffected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <chrono>

#include "parallel/gang_watch.h"
#include "parallel/mpi_comm.h"
#include "parallel/mpi_communicator.h"

namespace florenz {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class GangWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (size_ != 2) GTEST_SKIP() << "needs 2 ranks";
    notices_ = MpiComm::Borrow(MPI_COMM_WORLD).Duplicate();
  }
  // Both ranks meet here, outside every watched communicator.
  void Meet() { MPI_Barrier(MPI_COMM_WORLD); }

  int rank_ = 0, size_ = 1;
  MpiComm notices_;
};

TEST_F(GangWatchTest, AFailingMemberEndsItsPeersWaitAtOnce) {
  GangWatch watch(notices_.get(), {0, 1}, /*gang_id=*/1001, /*timeout_seconds=*/600);
  MpiCommunicator gang(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate(), &watch);
  torch::Tensor ok = torch::ones({4});
  gang.AllReduce(ok, ReduceOp::kSum);  // a healthy collective first
  EXPECT_TRUE(torch::equal(ok, torch::full({4}, 2.0f)));
  if (rank_ == 1) {
    watch.NotifyFailure("CUDA out of memory on rank 1");  // and never joins the all-reduce
  } else {
    torch::Tensor t = torch::ones({1000});
    const auto start = Clock::now();
    try {
      gang.AllReduce(t, ReduceOp::kSum);
      ADD_FAILURE() << "the all-reduce completed without its peer";
    } catch (const GangAborted& e) {
      EXPECT_EQ(e.origin(), 1);
      EXPECT_EQ(e.reason(), "CUDA out of memory on rank 1");
      EXPECT_THAT(e.what(), ::testing::HasSubstr("gang member rank 1 failed"));
    }
    EXPECT_LT(SecondsSince(start), 10) << "far below the 600 s timeout";
    EXPECT_TRUE(watch.aborted());
  }
  Meet();
}

TEST_F(GangWatchTest, ASilentMemberEndsTheWaitAtTheTimeout) {
  GangWatch watch(notices_.get(), {0, 1}, /*gang_id=*/1002, /*timeout_seconds=*/1);
  MpiCommunicator gang(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate(), &watch);
  if (rank_ == 0) {
    const auto start = Clock::now();
    EXPECT_THROW(gang.Barrier(), CollectiveTimeout);
    EXPECT_GE(SecondsSince(start), 1);
    EXPECT_LT(SecondsSince(start), 30);
  }
  Meet();
}

TEST_F(GangWatchTest, ANoticeOfAnotherGangIsDropped) {
  {
    GangWatch earlier(notices_.get(), {0, 1}, /*gang_id=*/1003, /*timeout_seconds=*/60);
    if (rank_ == 1) earlier.NotifyFailure("a failure of an earlier gang");
  }
  Meet();  // the stale notice has been sent before the next gang starts
  GangWatch watch(notices_.get(), {0, 1}, /*gang_id=*/1004, /*timeout_seconds=*/60);
  MpiCommunicator gang(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate(), &watch);
  torch::Tensor t = torch::full({3}, static_cast<float>(rank_ + 1));
  gang.AllReduce(t, ReduceOp::kSum);  // polls, drops the stale notice, completes
  EXPECT_TRUE(torch::equal(t, torch::full({3}, 3.0f)));
  torch::Tensor gathered = gang.AllGather(torch::full({2}, static_cast<float>(rank_)), 0);
  EXPECT_TRUE(torch::equal(gathered, torch::tensor({0.0f, 0.0f, 1.0f, 1.0f})));
  gang.Barrier();
  EXPECT_FALSE(watch.aborted());
  Meet();
}

}  // namespace
}  // namespace florenz
