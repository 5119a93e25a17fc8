// PlanDevices with made-up jobs: nodes, GPU counts and CUDA_VISIBLE_DEVICES values as Slurm and
// mpirun set them. The coordinator never gets a device; too many training ranks for a node's
// GPUs, or `cuda` without a GPU, is an error naming the counts before any run starts.
#include "orchestrator/device_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RankDevices Rank(int rank, int node, int gpus, const char* visible = nullptr, bool trains = true) {
  RankDevices r;
  r.rank = rank;
  r.node = node;
  r.node_name = "gpu" + std::to_string(node);
  r.trains = trains;
  r.visible_gpus = gpus;
  if (visible) {
    r.visible_devices = visible;
    r.visible_devices_set = true;
  }
  return r;
}

RankDevices Coordinator() { return Rank(0, 0, 0, nullptr, /*trains=*/false); }

TEST(DevicePlanTest, TheEmbeddedProcessTrainsOnItsOnlyGpuOrTheCpu) {
  EXPECT_THAT(PlanDevices(DeviceKind::kAuto, {Rank(0, 0, 1)}).devices, ElementsAre("cuda:0"));
  const DevicePlan cpu = PlanDevices(DeviceKind::kAuto, {Rank(0, 0, 0)});
  EXPECT_TRUE(cpu.ok());
  EXPECT_FALSE(cpu.cuda);
  EXPECT_THAT(cpu.devices, ElementsAre("cpu"));
  EXPECT_THAT(PlanDevices(DeviceKind::kCpu, {Rank(0, 0, 4)}).devices, ElementsAre("cpu"));
}

TEST(DevicePlanTest, TrainingRanksOfANodeTakeItsGpusInRankOrderAndTheCoordinatorNone) {
  // mpirun -np 5 on one 4-GPU node, every rank seeing all four GPUs.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kAuto,
                  {Coordinator(), Rank(1, 0, 4), Rank(2, 0, 4), Rank(3, 0, 4), Rank(4, 0, 4)});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_TRUE(plan.cuda);
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1", "cuda:2", "cuda:3"));
}

TEST(DevicePlanTest, IndicesCountWithinEachNode) {
  // Two 2-GPU nodes; the coordinator shares node 0 with ranks 1 and 2.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda, {Coordinator(), Rank(1, 0, 2, "0,1"), Rank(2, 0, 2, "0,1"),
                                      Rank(3, 3, 2, "0,1"), Rank(4, 3, 2, "0,1")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1", "cuda:0", "cuda:1"));
}

TEST(DevicePlanTest, RanksBoundToTheirOwnGpuEachTakeDeviceZero) {
  // srun --gpus-per-task=1: every task sees one GPU, a different one.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kAuto, {Coordinator(), Rank(1, 0, 1, "0"), Rank(2, 0, 1, "1"),
                                      Rank(3, 0, 1, "2"), Rank(4, 0, 1, "3")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:0", "cuda:0", "cuda:0"));
}

TEST(DevicePlanTest, MoreTrainingRanksThanVisibleGpusIsAnErrorNamingBothCounts) {
  const DevicePlan plan = PlanDevices(
      DeviceKind::kAuto,
      {Coordinator(), Rank(1, 0, 2, "0,1"), Rank(2, 0, 2, "0,1"), Rank(3, 0, 2, "0,1")});
  EXPECT_FALSE(plan.ok());
  EXPECT_THAT(plan.error, HasSubstr("gpu0 has 3 training ranks that see 2 GPUs"));
  EXPECT_THAT(plan.error, HasSubstr("CUDA_VISIBLE_DEVICES=0,1"));
  EXPECT_THAT(plan.error, HasSubstr("--gpus-per-task=1"));
  EXPECT_THAT(plan.devices, ElementsAre("", "", "", ""));
}

TEST(DevicePlanTest, TheCoordinatorDoesNotCountAgainstTheGpus) {
  // mpirun -np 3 on a 2-GPU node: rank 0 coordinates, ranks 1 and 2 train.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda, {Coordinator(), Rank(1, 0, 2), Rank(2, 0, 2)});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1"));
}

TEST(DevicePlanTest, CudaWithoutAGpuIsAnErrorNamingTheRankAndNode) {
  const DevicePlan plan = PlanDevices(DeviceKind::kCuda, {Rank(0, 0, 0)});
  EXPECT_FALSE(plan.ok());
  EXPECT_THAT(plan.error, HasSubstr("execution.device is cuda, but rank 0 on gpu0 sees no GPU"));
  EXPECT_THAT(plan.error, HasSubstr("CUDA_VISIBLE_DEVICES unset"));
  const DevicePlan hidden = PlanDevices(DeviceKind::kCuda, {Coordinator(), Rank(1, 0, 0, "")});
  EXPECT_THAT(hidden.error, HasSubstr("rank 1 on gpu0 sees no GPU"));
  EXPECT_THAT(hidden.error, HasSubstr("CUDA_VISIBLE_DEVICES="));
}

TEST(DevicePlanTest, AutoRefusesAJobWhereOnlySomeRanksSeeAGpu) {
  const DevicePlan plan =
      PlanDevices(DeviceKind::kAuto, {Coordinator(), Rank(1, 0, 1), Rank(2, 2, 0)});
  EXPECT_FALSE(plan.ok());
  EXPECT_THAT(plan.error, HasSubstr("only some training ranks see a GPU"));
  EXPECT_THAT(plan.error, HasSubstr("rank 1 on gpu0 sees 1 GPU"));
  EXPECT_THAT(plan.error, HasSubstr("rank 2 on gpu2 none"));
  // cpu never asks for a GPU.
  EXPECT_TRUE(PlanDevices(DeviceKind::kCpu, {Coordinator(), Rank(1, 0, 1), Rank(2, 2, 0)}).ok());
}

}  // namespace
}  // namespace florenz
