// `florenz data inspect`'s report: image sizes from PNG, JPEG and .npy headers, and the counts,
// lengths and coverage matrix of an exported grid.
#include "workers/data/shards/shard_inspection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiments/grid_loader.h"
#include "tests/workers/data/shards/shards_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/png_writer.h"
#include "workers/data/shards/synthetic_export.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

TEST(ShardInspectionTest, ImageShapesComeFromTheHeaders) {
  int a = 0, b = 0;
  ASSERT_TRUE(
      ImageShape(ImageKind::kPng, EncodePng(std::vector<float>(3 * 4 * 4, 0.5f), 4, 3), &a, &b));
  EXPECT_EQ(a, 12);
  EXPECT_EQ(b, 12);
  // A baseline JPEG's SOF0 after an APP0 segment: 640 wide, 480 high.
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0\x00\x04\x00\x00", 8) +
                           std::string("\xFF\xC0\x00\x11\x08\x01\xE0\x02\x80\x03", 10) +
                           std::string(16, '\0');
  ASSERT_TRUE(ImageShape(ImageKind::kJpeg, jpeg, &a, &b));
  EXPECT_EQ(a, 640);
  EXPECT_EQ(b, 480);
  const std::string npy =
      std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
      "{'descr': '<f2', 'fortran_order': False, 'shape': (256, 768), }          \n";
  ASSERT_TRUE(ImageShape(ImageKind::kFeatures, npy, &a, &b));
  EXPECT_EQ(a, 256);
  EXPECT_EQ(b, 768);
  EXPECT_FALSE(ImageShape(ImageKind::kPng, "not a png at all, really not", &a, &b));
  // A shape whose first number overflows an int is not readable, not [-1, 8].
  const std::string overflowing = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                                  "{'descr': '<f2', 'fortran_order': False, "
                                  "'shape': (99999999999999999999, 8), }\n";
  EXPECT_FALSE(ImageShape(ImageKind::kFeatures, overflowing, &a, &b));
  const std::string zero = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                           "{'descr': '<f2', 'fortran_order': False, 'shape': (0, 8), }\n";
  EXPECT_FALSE(ImageShape(ImageKind::kFeatures, zero, &a, &b));
}

TEST(ShardInspectionTest, ReportsCountsLengthsSizesAndTheGridsCoverage) {
  const auto dir = testing::ShardsTestFolder();
  const LoadedGrid grid = LoadGridFromString(testing::kShardsGrid, "shards.yaml", CheckDataSpec);
  ExportOptions options;
  options.scenes = 6;
  const ExportSummary exported = ExportSyntheticShards(grid.spec, dir.string(), options);
  const ShardIndexOptions index_options;  // no cache
  const ShardIndex index = IndexShards(exported.pattern, index_options);
  const std::string report = InspectShards(index, &grid.spec);
  EXPECT_THAT(report, HasSubstr("18 samples in 1 shard(s)"));
  EXPECT_THAT(report, HasSubstr("caption_en                6"));
  EXPECT_THAT(report, HasSubstr("images: 18 png"));
  EXPECT_THAT(report, HasSubstr("18 x 16x16 png"));
  EXPECT_THAT(report, HasSubstr("caption_de         evaluation-only         6 samples"));
  EXPECT_THAT(report, HasSubstr("translate_de       trained                 6 samples"));

  // A grid that trains a pair the corpus lacks is told so.
  std::string other = testing::kShardsGrid;
  other.replace(other.find("translate: {de: train}"), 22, "translate: {es: train}");
  other.replace(other.find("languages: [en, de]"), 19, "languages: [en, de, es]");
  const LoadedGrid wider = LoadGridFromString(other, "wider.yaml", CheckDataSpec);
  const std::string mismatch = InspectShards(index, &wider.spec);
  EXPECT_THAT(
      mismatch,
      HasSubstr("translate_es       trained                 0 samples   <- nothing to train on"));
  EXPECT_THAT(mismatch, HasSubstr("translate_de: 6 samples the grid's coverage does not name"));
}

}  // namespace
}  // namespace florenz::data
