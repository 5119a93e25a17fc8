// Determinism across processes: two ranks under mpirun generate the same samples byte for
// byte, and their data-parallel shards together cover the stream exactly once.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <vector>

#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"

namespace florenz::data {
namespace {

// FNV-1a over an example's bytes: image, prompt, target.
uint64_t Digest(const Example& e) {
  uint64_t h = 1469598103934665603ULL;
  auto add = [&](const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  add(e.image.data(), e.image.size() * sizeof(float));
  add(e.prompt.data(), e.prompt.size() * sizeof(int32_t));
  add(e.target.data(), e.target.size() * sizeof(int32_t));
  return h;
}

TEST(DataMpiTest, EveryRankGeneratesByteIdenticalBatches) {
  const DataGenerator data(testing::LoadDataGrid(testing::PaperDataGrid("rendered")).spec);
  std::vector<uint64_t> mine;
  for (int64_t i = 0; i < 256; ++i) mine.push_back(Digest(data.TrainExample(9, i)));
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<uint64_t> all(mine.size() * size);
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_UINT64_T, all.data(),
                static_cast<int>(mine.size()), MPI_UINT64_T, MPI_COMM_WORLD);
  for (int r = 1; r < size; ++r) {
    EXPECT_EQ(std::memcmp(all.data(), all.data() + r * mine.size(), mine.size() * 8), 0)
        << "rank " << r << " generated different samples";
  }
}

TEST(DataMpiTest, ShardsAcrossRanksCoverTheStreamOnce) {
  const DataGenerator data(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int n = 512;
  std::vector<uint64_t> mine(n, 0);  // digest where this rank owns the index, else 0
  for (int64_t i = 0; i < n; ++i) {
    if (DataGenerator::InShard(i, rank, size)) mine[i] = Digest(data.TrainExample(9, i));
  }
  std::vector<uint64_t> owners(n), combined(n);
  std::vector<uint64_t> owned(n);
  for (int i = 0; i < n; ++i) owned[i] = mine[i] != 0;
  MPI_Allreduce(owned.data(), owners.data(), n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(mine.data(), combined.data(), n, MPI_UINT64_T, MPI_BXOR, MPI_COMM_WORLD);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(owners[i], 1u) << "sample " << i;
    ASSERT_EQ(combined[i], Digest(data.TrainExample(9, i))) << "sample " << i;
  }
}

}  // namespace
}  // namespace florenz::data
