// The Feistel permutation and the sampler (shard_sampler.h). Each round mixes one half with a
// splitmix64 hash of the other, the round number and the key; the network is a bijection of
// [0, 4^h), and cycle walking (apply again until the value is below n) restricts it to [0, n)
// — at most 4× expected steps, since 4^h < 4n.
#include "workers/data/shards/shard_sampler.h"

#include <stdexcept>

#include "core/hash.h"

namespace florenz::data {
namespace {

constexpr int kRounds = 4;

}  // namespace

FeistelPermutation::FeistelPermutation(uint64_t n, uint64_t key) : n_(n), key_(key), half_bits_(1) {
  if (n == 0) throw std::invalid_argument("FeistelPermutation: n must be >= 1");
  while (half_bits_ < 32 && (uint64_t{1} << (2 * half_bits_)) < n) ++half_bits_;
}

uint64_t FeistelPermutation::Round(uint64_t half, int round) const {
  const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
  return SplitMix64(half ^ SplitMix64(key_ + static_cast<uint64_t>(round))) & mask;
}

uint64_t FeistelPermutation::operator()(uint64_t i) const {
  const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
  uint64_t x = i;
  do {
    uint64_t left = x >> half_bits_, right = x & mask;
    for (int r = 0; r < kRounds; ++r) {
      const uint64_t next = left ^ Round(right, r);
      left = right;
      right = next;
    }
    x = (left << half_bits_) | right;
  } while (x >= n_);
  return x;
}

ShardSampler::ShardSampler(std::vector<int64_t> eligible, uint64_t seed)
    : eligible_(std::move(eligible)), seed_(seed) {
  if (eligible_.empty()) {
    throw std::invalid_argument("the corpus has no sample of the run's trained pairs");
  }
}

int64_t ShardSampler::At(int64_t position) const {
  const uint64_t n = eligible_.size();
  const uint64_t epoch = static_cast<uint64_t>(position) / n;
  const FeistelPermutation permutation(n, SplitMix64(seed_) ^ SplitMix64(epoch + 0x5eed));
  return eligible_[permutation(static_cast<uint64_t>(position) % n)];
}

double ShardSampler::EpochsSeen(int64_t samples) const {
  return static_cast<double>(samples) / static_cast<double>(eligible_.size());
}

}  // namespace florenz::data
