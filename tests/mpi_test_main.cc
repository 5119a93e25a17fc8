// main() of every MPI test: a GoogleTest environment owns MPI_Init / MPI_Finalize, and only
// rank 0 prints results (every rank still runs every test; any failing rank fails the job).
#include <gtest/gtest.h>
#include <mpi.h>

namespace {

class MpiEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { MPI_Finalize(); }
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  ::testing::AddGlobalTestEnvironment(new MpiEnvironment);
  const int failed = RUN_ALL_TESTS();
  return failed;
}
