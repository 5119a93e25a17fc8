// Counter-based randomness for the synthetic data: every random draw of sample i of split s
// is a pure function of (seed, s, i), so any rank generates exactly its own shard and a
// resumed run sees exactly the samples it would have seen. SplitMix64 over a hashed key.
#pragma once

#include <cmath>
#include <cstdint>

namespace florenz::data {

// The splits of the data; each has its own stream so evaluation never overlaps training.
enum class Split : uint64_t { kTrain = 1, kEval = 2, kDisambiguation = 3, kPreview = 4 };

class SampleRng {
 public:
  // `stream` separates independent uses within a split (e.g. one per evaluation pair).
  SampleRng(uint64_t seed, Split split, uint64_t index, uint64_t stream = 0)
      : state_(Mix(Mix(Mix(seed ^ 0x9E3779B97F4A7C15ULL) ^ static_cast<uint64_t>(split)) ^
                   Mix(stream + 0x632BE59BD9B4E019ULL)) ^
               Mix(index + 0xD1B54A32D192ED03ULL)) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return Mix(state_);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32 for our n).
  int Below(int n) {
    return static_cast<int>((static_cast<unsigned __int128>(Next() >> 32) * n) >> 32);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; the second value of the pair is not kept).
  double Normal() {
    const double u = 1.0 - Uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * Uniform());
  }
  bool Bernoulli(double p) { return Uniform() < p; }

  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace florenz::data
