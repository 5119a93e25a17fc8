// The MPI test harness itself: several real ranks under mpirun (as root in CI), collectives
// work, and shared-memory node detection (used for gang placement) finds the ranks of each host
// (one node here; the multinode tests run it on two).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace {

TEST(MpiEnvironmentTest, AllreduceSumsRanks) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_GE(size, 2) << "run under mpirun -np 2 or more";
  int sum = 0;
  ASSERT_EQ(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_SUCCESS);
  EXPECT_EQ(sum, size * (size - 1) / 2);
}

// MPI_COMM_TYPE_SHARED (what the coordinator's node ids come from) groups exactly the ranks of
// one host: one node on this machine, 2 ranks a node on the multinode tests' 2 × 2 layout.
TEST(MpiEnvironmentTest, SharedMemorySplitFindsTheRanksOfEachNode) {
  MPI_Comm node;
  ASSERT_EQ(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            MPI_SUCCESS);
  int node_size = 0, world_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  char host[64] = {};
  gethostname(host, sizeof(host) - 1);
  std::vector<char> hosts(64 * static_cast<size_t>(world_size));
  MPI_Allgather(host, 64, MPI_CHAR, hosts.data(), 64, MPI_CHAR, MPI_COMM_WORLD);
  int same_host = 0;
  for (int r = 0; r < world_size; ++r) same_host += std::strcmp(hosts.data() + 64 * r, host) == 0;
  EXPECT_EQ(node_size, same_host) << "on " << host;
  MPI_Comm_free(&node);
}

}  // namespace
