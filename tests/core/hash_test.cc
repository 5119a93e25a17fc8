// The shared hashes: FNV-1a 64 and SplitMix64 on published values (they are part of florenz's
// results — run ids, layer seeds, sample orders — and must never change).
#include "core/hash.h"

#include <gtest/gtest.h>

namespace florenz {
namespace {

TEST(HashTest, Fnv1a64MatchesThePublishedVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(Fnv1a64("bar", Fnv1a64("foo")), Fnv1a64("foobar"));  // continues
}

TEST(HashTest, SplitMix64MatchesItsReferenceSequence) {
  // The first outputs of Vigna's splitmix64 generator from state 0: next() adds the golden
  // gamma to the state, then finalises — SplitMix64(k · gamma) for k = 0, 1, …
  EXPECT_EQ(SplitMix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(SplitMix64(0x9e3779b97f4a7c15ULL), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(Hex16(0xe220a8397b1dcdafULL), "e220a8397b1dcdaf");
  EXPECT_EQ(Hex16(1), "0000000000000001");
}

}  // namespace
}  // namespace florenz
