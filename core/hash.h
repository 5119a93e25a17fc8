// The small hashes florenz uses for identities and seeds, defined once: FNV-1a 64 over bytes
// (run ids, cache keys, model hashes) and SplitMix64 (seed mixing: bootstrap resamples, the
// scheduler's jitter, corpus permutations). Pure, platform-independent functions: their values
// are part of florenz's results (run ids, sample orders) and must never change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace florenz {

// FNV-1a's 64-bit offset basis.
inline constexpr uint64_t kFnv1aBasis = 14695981039346656037ULL;

// FNV-1a 64 of `bytes`, continuing from `hash` (kFnv1aBasis to start).
inline uint64_t Fnv1a64(std::string_view bytes, uint64_t hash = kFnv1aBasis) {
  for (const unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// SplitMix64's finaliser: a bijection of 64-bit values that decorrelates neighbouring inputs.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// "0123456789abcdef": 16 lowercase hex digits.
std::string Hex16(uint64_t value);

}  // namespace florenz
