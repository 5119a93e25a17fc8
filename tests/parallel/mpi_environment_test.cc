// The MPI test harness itself: several real ranks under mpirun (as root in CI), collectives
// work, and shared-memory node detection (used for gang placement) sees one node here.
#include <gtest/gtest.h>
#include <mpi.h>

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

TEST(MpiEnvironmentTest, SharedMemorySplitFindsOneNode) {
  MPI_Comm node;
  ASSERT_EQ(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            MPI_SUCCESS);
  int node_size = 0, world_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  EXPECT_EQ(node_size, world_size);
  MPI_Comm_free(&node);
}

}  // namespace
