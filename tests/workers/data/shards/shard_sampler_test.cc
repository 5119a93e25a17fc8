// The corpus order: every epoch a permutation of the eligible samples, a function of (seed,
// epoch, position) only; data-parallel halves of an epoch are disjoint; a resumed run reads what
// an uninterrupted one read.
#include "workers/data/shards/shard_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace florenz::data {
namespace {

TEST(FeistelPermutationTest, IsABijectionForEverySize) {
  for (const uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 64ULL, 1000ULL, 65537ULL}) {
    const FeistelPermutation p(n, 42);
    std::vector<char> seen(n, 0);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t v = p(i);
      ASSERT_LT(v, n) << n;
      ASSERT_FALSE(seen[v]) << n << ": " << v << " twice";
      seen[v] = 1;
    }
  }
}

TEST(FeistelPermutationTest, ShufflesAndDependsOnTheKey) {
  const FeistelPermutation a(1000, 1), b(1000, 2);
  int fixed = 0, same = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    fixed += a(i) == i;
    same += a(i) == b(i);
  }
  EXPECT_LT(fixed, 20);  // a random permutation fixes about one point
  EXPECT_LT(same, 20);
}

std::vector<int64_t> Eligible(int n) {
  std::vector<int64_t> samples(n);
  std::iota(samples.begin(), samples.end(), 100);  // sample numbers 100…
  return samples;
}

TEST(ShardSamplerTest, EachEpochIsAPermutationOfTheEligibleSamples) {
  const ShardSampler sampler(Eligible(37), 7);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> seen;
    for (int i = 0; i < 37; ++i) seen.insert(sampler.At(epoch * 37 + i));
    EXPECT_EQ(seen.size(), 37u);
    EXPECT_EQ(*seen.begin(), 100);
    EXPECT_EQ(*seen.rbegin(), 136);
  }
  int differ = 0;
  for (int i = 0; i < 37; ++i) differ += sampler.At(i) != sampler.At(37 + i);
  EXPECT_GT(differ, 25) << "each epoch has its own order";
  EXPECT_EQ(sampler.Epoch(36), 0);
  EXPECT_EQ(sampler.Epoch(37), 1);
  EXPECT_DOUBLE_EQ(sampler.EpochsSeen(74), 2.0);
}

TEST(ShardSamplerTest, TheOrderIsAFunctionOfSeedAndPositionOnly) {
  const ShardSampler a(Eligible(1000), 3), again(Eligible(1000), 3), other(Eligible(1000), 4);
  int differ = 0;
  for (int64_t p = 5000; p > 0; p -= 7) {  // any order of access: no state
    EXPECT_EQ(a.At(p), again.At(p));
    differ += a.At(p) != other.At(p);
  }
  EXPECT_GT(differ, 600);
}

TEST(ShardSamplerTest, DataParallelHalvesOfABatchAreDisjoint) {
  // Global batch 8 over dp 2: rank r takes positions step·8 + r·4 + k (the trainer's layout).
  const ShardSampler sampler(Eligible(64), 11);
  for (int step = 0; step < 8; ++step) {  // one epoch
    std::set<int64_t> rank0, rank1;
    for (int k = 0; k < 4; ++k) {
      rank0.insert(sampler.At(step * 8 + k));
      rank1.insert(sampler.At(step * 8 + 4 + k));
    }
    for (const int64_t s : rank0) EXPECT_FALSE(rank1.count(s)) << "step " << step;
  }
}

TEST(ShardSamplerTest, AnEmptyCorpusIsRefused) {
  EXPECT_THROW(ShardSampler({}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace florenz::data
