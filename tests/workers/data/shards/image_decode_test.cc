// Pixels from a corpus: PNG and JPEG decode to the right size (JPEG at the smallest DCT scale
// that covers the target), the centre square is box-filtered to the model's size, a real
// photograph decodes, and undecodable bytes are ConfigErrors that name SHARD:KEY.
#include "workers/data/shards/image_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "workers/data/png_writer.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

// A 640 × 480 image: red rises left to right, green top to bottom, blue constant.
RgbImage Gradient() {
  RgbImage image;
  image.width = 640;
  image.height = 480;
  for (int y = 0; y < 480; ++y) {
    for (int x = 0; x < 640; ++x) {
      image.pixels.push_back(static_cast<unsigned char>(x * 255 / 639));
      image.pixels.push_back(static_cast<unsigned char>(y * 255 / 479));
      image.pixels.push_back(100);
    }
  }
  return image;
}

TEST(ImageDecodeTest, PngDecodesToItsPixels) {
  std::vector<float> chw(3 * 8 * 8);
  for (size_t i = 0; i < chw.size(); ++i) chw[i] = static_cast<float>(i % 17) / 16.0f;
  const RgbImage image = DecodeImage(ImageKind::kPng, EncodePng(chw, 8, 1), 0, "s:k");
  EXPECT_EQ(image.width, 8);
  EXPECT_EQ(image.height, 8);
  const std::vector<float> back = SquareResize(image, 8);
  ASSERT_EQ(back.size(), chw.size());
  for (size_t i = 0; i < chw.size(); ++i) EXPECT_NEAR(back[i], chw[i], 0.5 / 255 + 1e-6) << i;
}

TEST(ImageDecodeTest, JpegDecodesAtTheSmallestScaleThatCoversTheTarget) {
  const std::string jpeg = EncodeJpeg(Gradient(), 95);
  const RgbImage full = DecodeImage(ImageKind::kJpeg, jpeg, 0, "s:k");
  EXPECT_EQ(full.width, 640);
  EXPECT_EQ(full.height, 480);
  const RgbImage scaled = DecodeImage(ImageKind::kJpeg, jpeg, 64, "s:k");
  EXPECT_EQ(scaled.width, 160);  // 1/4: 160 × 120 covers 64; 1/8 (80 × 60) would not
  EXPECT_EQ(scaled.height, 120);
  // The centre 480 × 480 square at 16 px: red spans x 80…559 of 639, green all rows.
  const std::vector<float> chw = DecodeAndResize(ImageKind::kJpeg, jpeg, 16, "s:k");
  ASSERT_EQ(chw.size(), 3u * 16 * 16);
  const float red_left = chw[0 * 256 + 8 * 16 + 0], red_right = chw[0 * 256 + 8 * 16 + 15];
  EXPECT_NEAR(red_left, (80 + 15) / 639.0, 0.03);
  EXPECT_NEAR(red_right, (559 - 15) / 639.0, 0.03);
  EXPECT_NEAR(chw[1 * 256 + 0 * 16 + 8], 15 / 479.0, 0.03);   // green, top row
  EXPECT_NEAR(chw[2 * 256 + 5 * 16 + 5], 100 / 255.0, 0.02);  // blue everywhere
}

TEST(ImageDecodeTest, ARealPhotographDecodesAndResizes) {
  std::ifstream in(std::string(FLORENZ_SOURCE_DIR) + "/tests/data/photos/rocket.jpg",
                   std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  ASSERT_GT(bytes.str().size(), 10000u);
  const RgbImage full = DecodeImage(ImageKind::kJpeg, bytes.str(), 0, "photos:rocket");
  EXPECT_EQ(full.width, 640);
  EXPECT_EQ(full.height, 427);
  const std::vector<float> chw =
      DecodeAndResize(ImageKind::kJpeg, bytes.str(), 64, "photos:rocket");
  ASSERT_EQ(chw.size(), 3u * 64 * 64);
  double mean = 0, lo = 1, hi = 0;
  for (const float v : chw) {
    mean += v;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  mean /= chw.size();
  EXPECT_GT(hi - lo, 0.5) << "a photograph has contrast";
  EXPECT_GT(mean, 0.1);
  EXPECT_LT(mean, 0.9);
}

TEST(ImageDecodeTest, UndecodableBytesNameTheSample) {
  const std::string jpeg = EncodeJpeg(Gradient(), 90);
  const std::pair<ImageKind, std::string> bad[] = {
      {ImageKind::kJpeg, jpeg.substr(0, jpeg.size() / 2)},  // cut short
      {ImageKind::kJpeg, "not a jpeg"},
      {ImageKind::kPng, "\x89PNG but no more"},
      {ImageKind::kPng, jpeg},
      {ImageKind::kFeatures, "\x93NUMPY"},
  };
  for (const auto& [kind, bytes] : bad) {
    EXPECT_THAT([&] { DecodeImage(kind, bytes, 32, "corpus/a.tar:000007"); },
                ::testing::ThrowsMessage<ConfigError>(
                    HasSubstr("corpus/a.tar:000007: the image cannot be decoded")))
        << ToString(kind);
  }
}

}  // namespace
}  // namespace florenz::data
