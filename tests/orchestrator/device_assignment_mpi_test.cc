// AssignDevices under mpiexec -n 3 (one node): rank 0 coordinates, ranks 1 and 2 train. With a
// faked GPU count or faked GPU UUIDs and per-rank CUDA_VISIBLE_DEVICES (per-task cgroups where
// every rank sees device 0, and values longer than 255 characters), every rank learns its
// device, or every rank gets the same error (too many training ranks for the GPUs, cuda without
// a GPU) before anything starts; the coordinator is never asked what GPUs it sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "orchestrator/device_assignment.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;

int Rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

class DeviceAssignmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 3) GTEST_SKIP() << "written for 3 ranks";
    unsetenv("CUDA_VISIBLE_DEVICES");
  }
  void TearDown() override { unsetenv("CUDA_VISIBLE_DEVICES"); }

  // A fake GPU count that also counts how often it was asked.
  std::function<int()> Gpus(int count) {
    return [this, count] {
      ++asked_;
      return count;
    };
  }
  // Fake GPU identities (UUIDs), counted the same way.
  std::function<std::vector<std::string>()> Ids(std::vector<std::string> ids) {
    return [this, ids] {
      ++asked_;
      return ids;
    };
  }
  int asked_ = 0;
};

std::string Uuid(int gpu) {
  return "GPU-0c1d2e3f-4a5b-6c7d-8e9f-00000000000" + std::to_string(gpu);
}

// CUDA_VISIBLE_DEVICES naming eight GPUs by UUID: 327 characters.
std::string EightUuids() {
  std::string text;
  for (int g = 0; g < 8; ++g) text += (g == 0 ? "" : ",") + Uuid(g);
  return text;
}

TEST_F(DeviceAssignmentTest, TrainingRanksTakeTheNodesGpusInRankOrder) {
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kAuto, Gpus(2));
  EXPECT_EQ(a.error, "");
  EXPECT_TRUE(a.cuda);
  const char* expected[] = {"", "cuda:0", "cuda:1"};
  EXPECT_EQ(a.device, expected[Rank()]);
  EXPECT_EQ(asked_, Rank() == 0 ? 0 : 1);  // the coordinator never asks
}

TEST_F(DeviceAssignmentTest, RanksBoundToTheirOwnGpuEachTakeDeviceZero) {
  setenv("CUDA_VISIBLE_DEVICES", std::to_string(Rank()).c_str(), 1);
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kCuda, Gpus(1));
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.device, Rank() == 0 ? "" : "cuda:0");
}

TEST_F(DeviceAssignmentTest, CgroupBoundRanksThatAllSeeDeviceZeroTakeTheirOwnGpus) {
  // srun --gpus-per-task=1 with device cgroups: CUDA_VISIBLE_DEVICES=0 everywhere, one
  // physical GPU per rank.
  setenv("CUDA_VISIBLE_DEVICES", "0", 1);
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kCuda, Ids({Uuid(Rank())}));
  EXPECT_EQ(a.error, "");
  EXPECT_TRUE(a.cuda);
  EXPECT_EQ(a.device, Rank() == 0 ? "" : "cuda:0");
  EXPECT_EQ(asked_, Rank() == 0 ? 0 : 1);
}

TEST_F(DeviceAssignmentTest, ALongCudaVisibleDevicesTravelsWhole) {
  const std::string visible = EightUuids();
  ASSERT_GT(visible.size(), 255u);
  setenv("CUDA_VISIBLE_DEVICES", visible.c_str(), 1);
  std::vector<std::string> ids;
  for (int g = 0; g < 8; ++g) ids.push_back(Uuid(g));
  const DeviceAssignment shared = AssignDevices(MPI_COMM_WORLD, DeviceKind::kAuto, Ids(ids));
  EXPECT_EQ(shared.error, "");
  const char* expected[] = {"", "cuda:0", "cuda:1"};
  EXPECT_EQ(shared.device, expected[Rank()]);
  // Both training ranks see only GPU 0: the message quotes the whole variable.
  const DeviceAssignment refused = AssignDevices(MPI_COMM_WORLD, DeviceKind::kAuto, Ids({Uuid(0)}));
  EXPECT_THAT(refused.error, HasSubstr("has 2 training ranks that see 1 GPU"));
  EXPECT_THAT(refused.error, HasSubstr("CUDA_VISIBLE_DEVICES=" + visible + " on rank 1"));
}

TEST_F(DeviceAssignmentTest, TooFewGpusEndEveryRankWithTheSameMessage) {
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kAuto, Gpus(1));
  EXPECT_THAT(a.error, HasSubstr("has 2 training ranks that see 1 GPU"));
  EXPECT_EQ(a.device, "");
  // Every rank holds the message rank 0 prints.
  int length = static_cast<int>(a.error.size()), longest = 0, shortest = 0;
  MPI_Allreduce(&length, &longest, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&length, &shortest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  EXPECT_EQ(longest, shortest);
}

TEST_F(DeviceAssignmentTest, CudaWithoutAGpuIsRefused) {
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kCuda, Gpus(0));
  EXPECT_THAT(a.error, HasSubstr("execution.device is cuda, but rank 1"));
  EXPECT_THAT(a.error, HasSubstr("sees no GPU"));
}

TEST_F(DeviceAssignmentTest, CpuNeverAsksForGpus) {
  const DeviceAssignment a = AssignDevices(MPI_COMM_WORLD, DeviceKind::kCpu, Gpus(8));
  EXPECT_EQ(a.error, "");
  EXPECT_FALSE(a.cuda);
  EXPECT_EQ(a.device, Rank() == 0 ? "" : "cpu");
  EXPECT_EQ(asked_, 0);
}

TEST(EmbeddedDeviceAssignmentTest, TheOneProcessTrains) {
  int calls = 0;
  const DeviceAssignment a = AssignDevices(MPI_COMM_NULL, DeviceKind::kAuto, [&] {
    ++calls;
    return 0;
  });
  EXPECT_EQ(a.device, "cpu");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace florenz
