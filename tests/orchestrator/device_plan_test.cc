// PlanDevices with made-up jobs: nodes, GPU counts, made-up GPU UUIDs and CUDA_VISIBLE_DEVICES
// values as Slurm and mpirun set them (every task seeing all GPUs, or per-task device cgroups
// where every task sees its own GPU as device 0). The coordinator never gets a device; too many
// training ranks for a node's GPUs, or `cuda` without a GPU, is an error naming the counts
// before any run starts.
#include "orchestrator/device_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

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

// A rank that reports the identities of the GPUs it sees, by CUDA index.
RankDevices Seeing(int rank, int node, std::vector<std::string> ids,
                   const char* visible = nullptr) {
  RankDevices r = Rank(rank, node, static_cast<int>(ids.size()), visible);
  r.gpu_ids = std::move(ids);
  return r;
}

// Made-up UUIDs in nvidia-smi's form, one per (node, GPU).
std::string Uuid(int node, int gpu) {
  char text[64];
  std::snprintf(text, sizeof(text), "GPU-%08x-1a2b-3c4d-5e6f-%012x", 0xabc00000 + node, gpu);
  return text;
}

std::vector<std::string> Uuids(int node, int count) {
  std::vector<std::string> ids;
  for (int g = 0; g < count; ++g) ids.push_back(Uuid(node, g));
  return ids;
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
  EXPECT_THAT(plan.error, HasSubstr("--gpus-per-node=N --gpu-bind=none"));
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

TEST(DevicePlanTest, CgroupBoundTasksThatAllSeeDeviceZeroTakeTheirOwnGpus) {
  // srun --gpus-per-task=1 with ConstrainDevices: every task sees CUDA_VISIBLE_DEVICES=0, each
  // a different physical GPU; only the UUIDs tell them apart.
  const DevicePlan plan = PlanDevices(
      DeviceKind::kCuda, {Coordinator(), Seeing(1, 0, {Uuid(0, 1)}, "0"),
                          Seeing(2, 0, {Uuid(0, 2)}, "0"), Seeing(3, 0, {Uuid(0, 3)}, "0")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_TRUE(plan.cuda);
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:0", "cuda:0"));
}

TEST(DevicePlanTest, RanksSharingANodesGpusTakeThemByLocalRank) {
  // --gpus-per-node=4 --gpu-bind=none: every task sees the node's four GPUs.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kAuto, {Coordinator(), Seeing(1, 0, Uuids(0, 4)),
                                      Seeing(2, 0, Uuids(0, 4)), Seeing(3, 0, Uuids(0, 4))});
  ASSERT_TRUE(plan.ok()) << plan.error;
  // The coordinator's share stays idle: GPU 3 of node 0 trains nothing.
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1", "cuda:2"));
}

TEST(DevicePlanTest, RanksThatNumberTheSameGpusDifferentlyStillTakeDistinctOnes) {
  // CUDA_VISIBLE_DEVICES=1,0 on rank 2: its cuda:0 is rank 1's cuda:1.
  std::vector<std::string> reversed = {Uuid(0, 1), Uuid(0, 0)};
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda,
                  {Coordinator(), Seeing(1, 0, Uuids(0, 2), "0,1"), Seeing(2, 0, reversed, "1,0")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  // Rank 1 takes GPU 0 of the node as its cuda:0; rank 2's cuda:0 is GPU 1, still free.
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:0"));
}

TEST(DevicePlanTest, ARankWhoseOnlyGpuIsTakenMovesAnEarlierRankOver) {
  // Rank 1 sees GPUs 0 and 1, rank 2 only GPU 0: rank 1 moves to GPU 1.
  const DevicePlan plan = PlanDevices(
      DeviceKind::kCuda,
      {Coordinator(), Seeing(1, 0, Uuids(0, 2), "0,1"), Seeing(2, 0, {Uuid(0, 0)}, "0")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:1", "cuda:0"));
}

TEST(DevicePlanTest, TwoNodesEachMatchTheirOwnGpus) {
  // Node 0 shares its GPUs, node 4 binds one per task; PCI bus ids repeat across nodes.
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda,
                  {Coordinator(), Seeing(1, 0, {"0000:1b:00.0", "0000:43:00.0"}),
                   Seeing(2, 0, {"0000:1b:00.0", "0000:43:00.0"}),
                   Seeing(4, 4, {"0000:1b:00.0"}, "0"), Seeing(5, 4, {"0000:43:00.0"}, "0")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1", "cuda:0", "cuda:0"));
}

TEST(DevicePlanTest, CgroupTasksThatSeeTheSameGpuAreRefused) {
  // Two tasks bound to the same physical GPU: an error naming both counts, no device.
  const DevicePlan plan = PlanDevices(
      DeviceKind::kAuto, {Coordinator(), Seeing(1, 0, {Uuid(0, 0)}, "0"),
                          Seeing(2, 0, {Uuid(0, 0)}, "0"), Seeing(3, 0, {Uuid(0, 1)}, "0")});
  EXPECT_FALSE(plan.ok());
  EXPECT_FALSE(plan.cuda);
  EXPECT_THAT(plan.error, HasSubstr("gpu0 has 3 training ranks that see 2 GPUs"));
  EXPECT_THAT(plan.devices, ElementsAre("", "", "", ""));
}

TEST(DevicePlanTest, MoreRanksThanSharedGpusIsRefusedOnTheNodeThatLacksThem) {
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda, {Coordinator(), Seeing(1, 0, Uuids(0, 2)),
                                      Seeing(2, 0, Uuids(0, 2)), Seeing(3, 1, Uuids(1, 2)),
                                      Seeing(4, 1, Uuids(1, 2)), Seeing(5, 1, Uuids(1, 2))});
  EXPECT_FALSE(plan.ok());
  EXPECT_THAT(plan.error, HasSubstr("gpu1 has 3 training ranks that see 2 GPUs"));
  EXPECT_THAT(plan.error, HasSubstr("start at most 2 training ranks per node"));
}

TEST(DevicePlanTest, ARankLeftWithoutAGpuByOverlappingBindingsIsNamed) {
  // Three ranks, three GPUs, but ranks 2 and 3 both see only GPU 0.
  const DevicePlan plan = PlanDevices(
      DeviceKind::kCuda, {Coordinator(), Seeing(1, 0, Uuids(0, 3), "0,1,2"),
                          Seeing(2, 0, {Uuid(0, 0)}, "0"), Seeing(3, 0, {Uuid(0, 0)}, "0")});
  EXPECT_FALSE(plan.ok());
  EXPECT_THAT(plan.error, HasSubstr("rank 3 on gpu0 sees 1 GPU (CUDA_VISIBLE_DEVICES=0), all of "
                                    "them taken by other training ranks of its node"));
}

TEST(DevicePlanTest, ALongCudaVisibleDevicesIsKeptWhole) {
  // Eight UUIDs: far over 255 characters.
  std::string visible;
  for (const auto& id : Uuids(0, 8)) visible += (visible.empty() ? "" : ",") + id;
  ASSERT_GT(visible.size(), 255u);
  const DevicePlan plan =
      PlanDevices(DeviceKind::kCuda, {Coordinator(), Rank(1, 0, 8, visible.c_str()),
                                      Rank(2, 0, 8, visible.c_str()), Rank(3, 0, 8, "other")});
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_THAT(plan.devices, ElementsAre("", "cuda:0", "cuda:1", "cuda:0"));
  const DevicePlan full =
      PlanDevices(DeviceKind::kCuda,
                  {Coordinator(), Rank(1, 0, 1, visible.c_str()), Rank(2, 0, 1, visible.c_str())});
  EXPECT_THAT(full.error, HasSubstr(visible));
}

}  // namespace
}  // namespace florenz
