// BindToGpuCores under mpiexec -n 3 on one node: rank 0 coordinates, ranks 1 and 2 train on
// "GPUs" whose NUMA node a fake sysfs entry says is every core of this machine. The training
// ranks really bind (sched_setaffinity, read back), within the cores their launcher gave them,
// without overlap where they were given the same cores; the coordinator is never asked and
// never bound. CoresNearPciDevice reads a GPU's cores from a made-up sysfs tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "orchestrator/core_binding.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

int Rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

CpuList Affinity() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CpuList cores;
  EXPECT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cores.push_back(cpu);
  }
  return cores;
}

void SetAffinity(const CpuList& cores) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int cpu : cores) CPU_SET(cpu, &mask);
  ASSERT_EQ(sched_setaffinity(0, sizeof(mask), &mask), 0);
}

CpuList MachineCores() {
  CpuList cores;
  for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN); ++c) cores.push_back(static_cast<int>(c));
  return cores;
}

class CoreBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 3) GTEST_SKIP() << "written for 3 ranks";
    launcher_ = Affinity();
  }
  void TearDown() override { SetAffinity(launcher_); }
  CpuList launcher_;
};

TEST_F(CoreBindingTest, TrainingRanksBindToTheirGpusCoresWithoutOverlap) {
  int asked = 0;
  const CoreBinding bound = BindToGpuCores(MPI_COMM_WORLD, Rank() != 0, [&] {
    ++asked;
    return MachineCores();
  });
  const CpuList now = Affinity();
  if (Rank() == 0) {
    EXPECT_EQ(asked, 0);
    EXPECT_THAT(bound.cores, ::testing::IsEmpty());
    EXPECT_EQ(now, launcher_);
  } else {
    EXPECT_EQ(asked, 1);
    ASSERT_FALSE(bound.cores.empty()) << bound.note;
    EXPECT_EQ(now, bound.cores);
    EXPECT_TRUE(std::includes(launcher_.begin(), launcher_.end(), now.begin(), now.end()));
  }
  // What the two training ranks got, seen from each.
  std::vector<int> mine(CPU_SETSIZE, 0);
  if (Rank() != 0) {
    for (int c : now) mine[c] = 1;
  }
  std::vector<int> launchers(3 * CPU_SETSIZE, 0), bounds(3 * CPU_SETSIZE, 0);
  std::vector<int> launcher_flags(CPU_SETSIZE, 0);
  for (int c : launcher_) launcher_flags[c] = 1;
  MPI_Allgather(launcher_flags.data(), CPU_SETSIZE, MPI_INT, launchers.data(), CPU_SETSIZE,
                MPI_INT, MPI_COMM_WORLD);
  MPI_Allgather(mine.data(), CPU_SETSIZE, MPI_INT, bounds.data(), CPU_SETSIZE, MPI_INT,
                MPI_COMM_WORLD);
  const bool same_launcher = std::equal(launchers.begin() + CPU_SETSIZE,
                                        launchers.begin() + 2 * CPU_SETSIZE,
                                        launchers.begin() + 2 * CPU_SETSIZE);
  int shared = 0, launcher_count = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    shared += bounds[CPU_SETSIZE + c] && bounds[2 * CPU_SETSIZE + c];
    launcher_count += launchers[CPU_SETSIZE + c];
  }
  // Ranks given the same cores split them; they share one only where there are too few.
  if (same_launcher && launcher_count >= 2) EXPECT_EQ(shared, 0);
}

TEST_F(CoreBindingTest, AGpuWithoutKnownCoresLeavesEveryRankAsLaunched) {
  const CoreBinding bound = BindToGpuCores(MPI_COMM_WORLD, Rank() != 0, [] { return CpuList{}; });
  EXPECT_THAT(bound.cores, ::testing::IsEmpty());
  if (Rank() != 0) EXPECT_THAT(bound.note, ::testing::HasSubstr("does not say which cores"));
  EXPECT_EQ(Affinity(), launcher_);
}

TEST_F(CoreBindingTest, ReadsAGpusCoresFromSysfs) {
  if (Rank() != 0) return;
  const fs::path sysfs = fs::temp_directory_path() / ("florenz-sysfs-" + std::to_string(getpid()));
  fs::create_directories(sysfs / "bus/pci/devices/0000:1b:00.0");
  std::ofstream(sysfs / "bus/pci/devices/0000:1b:00.0/local_cpulist") << "0-15,32-47\n";
  const CpuList cores = CoresNearPciDevice("0000:1B:00.0", sysfs.string());
  EXPECT_EQ(FormatCpuList(cores), "0-15,32-47");
  EXPECT_THAT(CoresNearPciDevice("0000:c1:00.0", sysfs.string()), ::testing::IsEmpty());
  EXPECT_THAT(CoresNearPciDevice("", sysfs.string()), ::testing::IsEmpty());
  fs::remove_all(sysfs);
}

}  // namespace
}  // namespace florenz
