// The core plan of a node's ranks (orchestrator/core_plan.h) with made-up nodes: the kernel's
// cpulist format both ways, CUDA's PCI addresses as sysfs names them, and the binding of ranks
// that share a GPU's NUMA node, are bound away from it, or have no GPU locality at all.
#include "orchestrator/core_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CpuList Range(int first, int last) {
  CpuList cpus;
  for (int c = first; c <= last; ++c) cpus.push_back(c);
  return cpus;
}

TEST(CpuListTest, ReadsTheKernelsFormat) {
  EXPECT_EQ(ParseCpuList("0-3,8,10-11\n"), (CpuList{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(ParseCpuList("5"), (CpuList{5}));
  EXPECT_EQ(ParseCpuList("\n"), CpuList{});
  EXPECT_EQ(ParseCpuList("8,0-1,1"), (CpuList{0, 1, 8}));  // sorted, each once
}

TEST(CpuListTest, RefusesWhatIsNotOne) {
  EXPECT_EQ(ParseCpuList("0-"), std::nullopt);
  EXPECT_EQ(ParseCpuList("3-1"), std::nullopt);
  EXPECT_EQ(ParseCpuList("a"), std::nullopt);
  EXPECT_EQ(ParseCpuList("0,,1"), std::nullopt);
  EXPECT_EQ(ParseCpuList("-1"), std::nullopt);
  EXPECT_EQ(ParseCpuList("0-99999999"), std::nullopt);
}

TEST(CpuListTest, WritesRangesCollapsed) {
  EXPECT_EQ(FormatCpuList({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(FormatCpuList(*ParseCpuList("0-15,32-47")), "0-15,32-47");
}

TEST(SysfsPciAddressTest, NamesCudasBusIdsAsSysfsDoes) {
  EXPECT_EQ(SysfsPciAddress("0000:1B:00.0"), "0000:1b:00.0");
  EXPECT_EQ(SysfsPciAddress("00000000:C1:00.0"), "0000:c1:00.0");  // nvidia-smi's 8 digits
  EXPECT_EQ(SysfsPciAddress(""), "");
  EXPECT_EQ(SysfsPciAddress("0000:1B:00.0/../../x"), "");
  EXPECT_EQ(SysfsPciAddress("GPU-5e3c1f2a"), "");
}

RankCores Coordinator(const CpuList& allowed) { return RankCores{false, allowed, {}}; }
RankCores Trainer(const CpuList& allowed, const CpuList& near_gpu) {
  return RankCores{true, allowed, near_gpu};
}

TEST(PlanCoreBindingTest, EachRankTakesItsGpusNumaNode) {
  // Two sockets of 16 cores, a GPU on each, ranks unbound (--bind-to none).
  const CpuList all = Range(0, 31);
  const auto plan = PlanCoreBinding(
      {Coordinator(all), Trainer(all, Range(0, 15)), Trainer(all, Range(16, 31))});
  EXPECT_THAT(plan[0].cores, IsEmpty());
  EXPECT_EQ(plan[0].note, "");
  EXPECT_EQ(plan[1].cores, Range(0, 15));
  EXPECT_EQ(plan[2].cores, Range(16, 31));
}

TEST(PlanCoreBindingTest, RanksWhoseGpusShareANumaNodeSplitItWithoutOverlap) {
  // Eight GPUs, four per socket of 16 cores (an HGX node's halves): 4 cores each.
  const CpuList all = Range(0, 31);
  std::vector<RankCores> node;
  for (int gpu = 0; gpu < 8; ++gpu) node.push_back(Trainer(all, gpu < 4 ? Range(0, 15) : Range(16, 31)));
  const auto plan = PlanCoreBinding(node);
  for (int gpu = 0; gpu < 8; ++gpu) EXPECT_EQ(plan[gpu].cores, Range(4 * gpu, 4 * gpu + 3)) << gpu;
}

TEST(PlanCoreBindingTest, UnevenSplitsDifferByOneCoreAndMoreRanksThanCoresShare) {
  const auto three = PlanCoreBinding(
      {Trainer(Range(0, 7), Range(0, 7)), Trainer(Range(0, 7), Range(0, 7)),
       Trainer(Range(0, 7), Range(0, 7))});
  EXPECT_EQ(three[0].cores, Range(0, 1));
  EXPECT_EQ(three[1].cores, Range(2, 4));
  EXPECT_EQ(three[2].cores, Range(5, 7));
  const auto crowded =
      PlanCoreBinding({Trainer({0, 1}, {0, 1}), Trainer({0, 1}, {0, 1}), Trainer({0, 1}, {0, 1})});
  EXPECT_THAT(crowded[0].cores, ElementsAre(0));
  EXPECT_THAT(crowded[1].cores, ElementsAre(1));
  EXPECT_THAT(crowded[2].cores, ElementsAre(0));
}

TEST(PlanCoreBindingTest, StaysWithinTheLaunchersCores) {
  // mpirun --bind-to socket put the rank on socket 0, its GPU's node is 8-23: cores 8-15.
  const auto plan = PlanCoreBinding({Trainer(Range(0, 15), Range(8, 23))});
  EXPECT_EQ(plan[0].cores, Range(8, 15));
}

TEST(PlanCoreBindingTest, ARankBoundAwayFromItsGpuKeepsItsCoresAndSaysHowToLaunch) {
  const auto plan = PlanCoreBinding({Trainer({3}, Range(16, 31))});
  EXPECT_THAT(plan[0].cores, IsEmpty());
  EXPECT_THAT(plan[0].note, HasSubstr("cores 3, none of them near its GPU (cores 16-31)"));
  EXPECT_THAT(plan[0].note, HasSubstr("--bind-to none"));
}

TEST(PlanCoreBindingTest, AGpuWithoutKnownLocalityLeavesTheRankAlone) {
  const auto plan = PlanCoreBinding({Trainer(Range(0, 31), {}), Trainer(Range(0, 31), Range(0, 15))});
  EXPECT_THAT(plan[0].cores, IsEmpty());
  EXPECT_THAT(plan[0].note, HasSubstr("does not say which cores"));
  EXPECT_EQ(plan[1].cores, Range(0, 15));  // the other is not split with it
}

}  // namespace
}  // namespace florenz
