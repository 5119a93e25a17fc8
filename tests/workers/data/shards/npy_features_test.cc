// .npy image features: files NumPy wrote (float16 with a subnormal and the largest half, float32)
// read back exactly, what florenz writes reads back, other dtypes, Fortran order and other ranks
// are refused naming the sample, and a corpus is held to its first sample's shape.
#include "workers/data/shards/npy_features.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/errors.h"

namespace florenz::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(FLORENZ_SOURCE_DIR) + "/tests/data/features/" + name,
                   std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(NpyFeaturesTest, ReadsWhatNumPyWrote) {
  const FeatureArray f16 = ReadNpyFeatures(Fixture("f16_3x4.npy"), "s:k");
  EXPECT_EQ(f16.tokens, 3);
  EXPECT_EQ(f16.dim, 4);
  EXPECT_THAT(f16.values, ElementsAre(0.5f, -1.25f, 3.0f, 65504.0f, 1.1920928955078125e-07f,
                                      0.0999755859375f, -0.0f, 2.5f, 7.0f, 8.0f, 9.0f, 10.0f));
  EXPECT_TRUE(std::signbit(f16.values[6]));
  const FeatureArray f32 = ReadNpyFeatures(Fixture("f32_2x3.npy"), "s:k");
  EXPECT_EQ(f32.tokens, 2);
  EXPECT_EQ(f32.dim, 3);
  EXPECT_FLOAT_EQ(f32.values[1], 1.0f / 3);
  EXPECT_FLOAT_EQ(f32.values[5], 5.0f / 3);
}

TEST(NpyFeaturesTest, TheFastHalfConversionEqualsTheScalarOneForEveryHalf) {
  std::vector<uint16_t> halves(65536);
  for (uint32_t h = 0; h < 65536; ++h) halves[h] = static_cast<uint16_t>(h);
  std::vector<float> out(65536);
  HalfsToFloats(reinterpret_cast<const char*>(halves.data()), halves.size(), out.data());
  for (uint32_t h = 0; h < 65536; ++h) {
    const float scalar = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(scalar)) {  // F16C quiets a signalling NaN; a NaN stays a NaN
      ASSERT_TRUE(std::isnan(out[h])) << "half 0x" << std::hex << h;
      continue;
    }
    uint32_t a, b;
    std::memcpy(&a, &out[h], 4);
    std::memcpy(&b, &scalar, 4);
    ASSERT_EQ(a, b) << "half 0x" << std::hex << h;
  }
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // the smallest subnormal
  EXPECT_EQ(HalfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(NpyFeaturesTest, WhatFlorenzWritesReadsBack) {
  FeatureArray features;
  features.tokens = 2;
  features.dim = 5;
  features.values = {0.f, 1.f, -2.5f, 1e-6f, 3.14159f, 100.f, -0.125f, 65504.f, 7.f, 1e-8f};
  EXPECT_EQ(ReadNpyFeatures(WriteNpyFeatures(features, false), "s:k").values, features.values);
  const FeatureArray half = ReadNpyFeatures(WriteNpyFeatures(features, true), "s:k");
  ASSERT_EQ(half.values.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_NEAR(half.values[i], features.values[i], std::abs(features.values[i]) * 1e-3 + 1e-7)
        << i;
  }
  EXPECT_EQ(WriteNpyFeatures(features, false).find("\n") % 64, 63u);  // data 64-byte aligned
}

TEST(NpyFeaturesTest, WhatFlorenzCannotUseIsRefusedNamingTheSample) {
  const std::pair<std::string, std::string> bad[] = {
      {Fixture("f64_2x2.npy"), "dtype '<f8'"},
      {Fixture("f32_fortran.npy"), "Fortran order"},
      {Fixture("f32_3d.npy"), "is not [tokens, dim]"},
      {Fixture("f32_2x3.npy").substr(0, 140), "shorter than shape"},
      {"PK\x03\x04 a zip", "not a .npy file"},
  };
  for (const auto& [bytes, why] : bad) {
    EXPECT_THAT([&] { ReadNpyFeatures(bytes, "corpus/a.tar:000009"); },
                ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                    HasSubstr("corpus/a.tar:000009: image features (.npy): "), HasSubstr(why))))
        << why;
  }
}

// A hostile header (a 200 KB dtype) is quoted in the message only in part, so it floods neither
// the message nor the run file that keeps a failed run's reason.
TEST(NpyFeaturesTest, AHugeDtypeIsQuotedOnlyInPart) {
  const std::string dtype(200000, 'x');
  const std::string header = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (2, 2), }";
  const uint32_t length = static_cast<uint32_t>(header.size());
  std::string bytes = std::string("\x93NUMPY\x02\x00", 8);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(length >> (8 * i) & 0xff));
  bytes += header + std::string(16, '\0');
  try {
    ReadNpyFeatures(bytes, "corpus/a.tar:000009");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, HasSubstr("dtype 'xxxx"));
    EXPECT_THAT(message, HasSubstr("(200002 bytes)"));
    EXPECT_LT(message.size(), 400u);
  }
}

TEST(NpyFeaturesTest, ACorpusKeepsTheShapeOfItsFirstSample) {
  FeatureShapeCheck check;
  FeatureArray a{16, 768, {}}, b{16, 768, {}}, c{16, 512, {}};
  check.Check(a, "s.tar:1");
  check.Check(b, "s.tar:2");
  EXPECT_THAT(
      [&] { check.Check(c, "s.tar:3"); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr(
          "s.tar:3: image features [16, 512], but the first sample (s.tar:1) has [16, 768]")));
}

}  // namespace
}  // namespace florenz::data
