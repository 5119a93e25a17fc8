// The training order over an indexed corpus: a run reads position p of its sample stream
// (p = step · batch + the sample's place in the step's global batch), and position p is sample
// permutation_e(p mod N) of the N eligible samples (those of the run's trained pairs), where
// e = p / N is the epoch and permutation_e a seeded bijection of [0, N) — a keyed Feistel
// network with cycle walking, so any position is computed in O(1) time and memory, without
// materialising an epoch. The order is therefore a function of (seed, epoch, position) alone:
// data-parallel ranks that take disjoint positions read disjoint samples of an epoch, and a run
// resumed at step s reads exactly what it would have read. When a budget exceeds the corpus,
// epochs repeat, each with its own permutation.
#pragma once

#include <cstdint>
#include <vector>

namespace florenz::data {

// A seeded bijection of [0, n).
class FeistelPermutation {
 public:
  // n >= 1.
  FeistelPermutation(uint64_t n, uint64_t key);
  uint64_t operator()(uint64_t i) const;  // i < n
  uint64_t size() const { return n_; }

 private:
  uint64_t Round(uint64_t half, int round) const;
  uint64_t n_, key_;
  int half_bits_;  // the network permutes [0, 4^half_bits) ⊇ [0, n)
};

class ShardSampler {
 public:
  // `eligible`: the sample numbers (indices into ShardIndex::samples) a run may train on, in
  // index order. Throws std::invalid_argument when it is empty.
  ShardSampler(std::vector<int64_t> eligible, uint64_t seed);

  // The sample number at stream position `position` (>= 0).
  int64_t At(int64_t position) const;
  // The epoch of `position`: 0 for the first pass over the eligible samples.
  int64_t Epoch(int64_t position) const {
    return position / static_cast<int64_t>(eligible_.size());
  }
  // Passes over the corpus that `samples` positions make, as a fraction (1.5: one and a half
  // epochs), for the run file: repetition changes scaling.
  double EpochsSeen(int64_t samples) const;
  int64_t size() const { return static_cast<int64_t>(eligible_.size()); }

 private:
  std::vector<int64_t> eligible_;
  uint64_t seed_;
};

}  // namespace florenz::data
