// Pixels from a corpus: PNG and JPEG decode to the right size (JPEG at the smallest DCT scale
// that covers the target), the centre square is box-filtered to the model's size, a real
// photograph decodes, and undecodable bytes are ConfigErrors that name SHARD:KEY. Bounded: a bomb
// (a header of 30,000 × 30,000 or more pixels over a tiny body) is refused from its header, in a
// child process whose peak memory stays under 256 MB; a JPEG is never decoded above its size or
// above what the target needs; a bad JPEG does not fail the next one on its thread.
#include "workers/data/shards/image_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/errors.h"
#include "tests/workers/data/shards/image_bombs.h"
#include "tests/workers/data/shards/png_variants.h"
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

TEST(ImageDecodeTest, ABadJpegDoesNotFailTheNextOneOnItsThread) {
  const std::string jpeg = EncodeJpeg(Gradient(), 90);
  std::string corrupt = jpeg;
  for (size_t i = 600; i < 700; ++i) corrupt[i] = '\xff';  // an unknown marker in the header
  for (const std::string& bad : {corrupt, std::string("not a jpeg"), jpeg.substr(0, 300)}) {
    EXPECT_THROW(DecodeImage(ImageKind::kJpeg, bad, 64, "s:bad"), ConfigError);
    const RgbImage good = DecodeImage(ImageKind::kJpeg, jpeg, 64, "s:good");
    EXPECT_EQ(good.width, 160);
    EXPECT_EQ(good.height, 120);
  }
}

TEST(ImageDecodeTest, AJpegIsNeverDecodedAboveItsSizeOrAboveWhatTheTargetNeeds) {
  int w = 0, h = 0;
  JpegDecodeSize(640, 480, 64, &w, &h);
  EXPECT_EQ(std::pair(w, h), std::pair(160, 120));
  JpegDecodeSize(40, 30, 64, &w, &h);  // smaller than the target: as it is, never scaled up
  EXPECT_EQ(std::pair(w, h), std::pair(40, 30));
  JpegDecodeSize(640, 480, 0, &w, &h);
  EXPECT_EQ(std::pair(w, h), std::pair(640, 480));
  // Sides whose product overflows an int: still the smallest scale that covers the target.
  JpegDecodeSize(60000, 60000, 64, &w, &h);
  EXPECT_EQ(std::pair(w, h), std::pair(7500, 7500));
  JpegDecodeSize(65500, 30000, 4000, &w, &h);
  EXPECT_EQ(std::pair(w, h), std::pair(16375, 7500));  // 1/4: 1/8 gives 3750 < 4000
}

TEST(ImageDecodeTest, AnImageOverTheLimitIsRefusedFromItsHeader) {
  const std::string jpeg = EncodeJpeg(Gradient(), 90);
  EXPECT_THAT([&] { DecodeImage(ImageKind::kJpeg, jpeg, 16, "c.tar:000003", 640 * 480 - 1); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr("c.tar:000003: an image of 640 × 480 pixels (307200), more than "
                            "data.max_image_pixels (307199)")));
  EXPECT_EQ(DecodeImage(ImageKind::kJpeg, jpeg, 16, "c.tar:000003", 640 * 480).width, 80);
  std::vector<float> chw(3 * 8 * 8, 0.5f);
  const std::string png = EncodePng(chw, 8, 1);
  EXPECT_THAT([&] { DecodeImage(ImageKind::kPng, png, 8, "c.tar:000004", 63); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("c.tar:000004: an image of 8 × 8")));
  EXPECT_EQ(DecodeImage(ImageKind::kPng, png, 8, "c.tar:000004", 64).width, 8);
}

// The row-by-row PNG path (every PNG without alpha, tRNS or interlacing whose square covers the
// target) gives the floats of the whole-image path — libpng's simplified reader, then
// SquareResize — bit for bit, for every colour type, bit depth and gamma chunk; the PNGs the
// row path leaves to the whole-image path give them too.
TEST(ImageDecodeTest, ARowByRowPngGivesTheWholeImageResizeBitForBit) {
  const auto sample = [](uint32_t x, uint32_t y, int c, int bits) {
    return static_cast<uint32_t>((x * 37 + y * 101 + c * 59 + (x * y) % 13) % (1u << bits));
  };
  const struct {
    const char* name;
    testing::PngVariant variant;
  } variants[] = {
      {"rgb8", {PNG_COLOR_TYPE_RGB, 8}},
      {"rgb16", {PNG_COLOR_TYPE_RGB, 16}},
      {"grey1", {PNG_COLOR_TYPE_GRAY, 1}},
      {"grey4", {PNG_COLOR_TYPE_GRAY, 4}},
      {"grey8", {PNG_COLOR_TYPE_GRAY, 8}},
      {"grey16", {PNG_COLOR_TYPE_GRAY, 16}},
      {"palette2", {PNG_COLOR_TYPE_PALETTE, 2}},
      {"palette8", {PNG_COLOR_TYPE_PALETTE, 8}},
      {"rgb8 gamma 1.0", {PNG_COLOR_TYPE_RGB, 8, false, 1.0}},
      {"rgb8 gamma 1/2.2", {PNG_COLOR_TYPE_RGB, 8, false, 1 / 2.2}},
      {"grey8 gamma 0.8", {PNG_COLOR_TYPE_GRAY, 8, false, 0.8}},
      {"palette8 gamma 1.0", {PNG_COLOR_TYPE_PALETTE, 8, false, 1.0}},
      {"rgb16 gamma 1.0", {PNG_COLOR_TYPE_RGB, 16, false, 1.0}},
      {"rgb8 srgb", {PNG_COLOR_TYPE_RGB, 8, false, 0, true}},
      // Left to the whole-image path:
      {"rgba8", {PNG_COLOR_TYPE_RGB_ALPHA, 8}},
      {"grey-alpha8", {PNG_COLOR_TYPE_GRAY_ALPHA, 8}},
      {"rgb8 interlaced", {PNG_COLOR_TYPE_RGB, 8, true}},
      {"palette8 trns", {PNG_COLOR_TYPE_PALETTE, 8, false, 0, false, true}},
      {"rgb8 trns", {PNG_COLOR_TYPE_RGB, 8, false, 0, false, true}},
  };
  for (const auto& [name, variant] : variants) {
    for (const auto [width, height] :
         {std::pair(97u, 61u), std::pair(40u, 130u), std::pair(64u, 64u), std::pair(5u, 9u)}) {
      const std::string png = testing::WritePngVariant(
          width, height, variant,
          [&](uint32_t x, uint32_t y, int c) { return sample(x, y, c, variant.bit_depth); });
      ASSERT_FALSE(png.empty()) << name;
      for (const int size : {1, 7, 32, 61, 64}) {
        const std::string where = std::string(name) + " " + std::to_string(width) + "x" +
                                  std::to_string(height) + " to " + std::to_string(size);
        const std::vector<float> rows = DecodeAndResize(ImageKind::kPng, png, size, "s:k");
        const std::vector<float> whole =
            SquareResize(DecodeImage(ImageKind::kPng, png, size, "s:k"), size);
        ASSERT_EQ(rows.size(), whole.size()) << where;
        EXPECT_EQ(std::memcmp(rows.data(), whole.data(), rows.size() * sizeof(float)), 0) << where;
      }
    }
  }
}

// A valid 6000 × 5000 PNG (30 megapixels, within data.max_image_pixels): the whole-image path
// needs 90 MB for its pixels, the row path a row. Decoded in a child with 48 MB of address space
// to spare, it must give the whole-image path's floats (computed here, in the parent); and a copy
// cut short in its image data is a SHARD:KEY error.
TEST(ImageDecodeTest, ALargePngIsDecodedRowByRowInBoundedMemory) {
  const uint32_t width = 6000, height = 5000;
  testing::PngVariant variant;
  variant.compression_level = 1;
  const std::string png =
      testing::WritePngVariant(width, height, variant, [](uint32_t x, uint32_t y, int c) {
        return c == 0 ? x * 255 / (width - 1) : c == 1 ? y * 255 / (height - 1) : (x ^ y) & 0xff;
      });
  ASSERT_FALSE(png.empty());
  const std::vector<float> whole =
      SquareResize(DecodeImage(ImageKind::kPng, png, 8, "big.tar:000001"), 8);
  int64_t peak = 0;
  const int status = testing::RunInChild(
      [&] {
        const std::vector<float> rows = DecodeAndResize(ImageKind::kPng, png, 8, "big.tar:000001");
        return rows.size() == whole.size() &&
                       std::memcmp(rows.data(), whole.data(), rows.size() * sizeof(float)) == 0
                   ? 0
                   : 1;
      },
      uint64_t{48} << 20, &peak);
  EXPECT_EQ(status, 0) << "1: other pixels, 98: an exception (out of memory: the whole image)";
  EXPECT_LT(peak, int64_t{48} << 20);
  std::cout << "[ peak    ] png 6000x5000 (" << png.size() / 1024
            << " KiB), row by row: " << peak / (1 << 20) << " MiB\n";
  const std::string cut = png.substr(0, png.size() / 2);
  EXPECT_THAT([&] { DecodeAndResize(ImageKind::kPng, cut, 8, "big.tar:000002"); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr("big.tar:000002: the image cannot be decoded")));
}

// Each bomb decoded as a sample is in a child process: it must end in the ConfigError that
// names the sample and the limit, and the child's peak resident memory must stay under 256 MB.
TEST(ImageDecodeTest, DecompressionBombsAreRefusedWithBoundedMemory) {
  const std::string over = "bombs.tar:000001: an image of";
  const std::string within = "bombs.tar:000001: the image cannot be decoded";
  const struct {
    const char* name;
    ImageKind kind;
    std::string bytes;
    std::string error;
  } bombs[] = {
      {"jpeg 30000x30000", ImageKind::kJpeg, testing::JpegBomb(30000, 30000), over},
      {"jpeg 65500x65500", ImageKind::kJpeg, testing::JpegBomb(65500, 65500), over},
      {"jpeg 60000x40000", ImageKind::kJpeg, testing::JpegBomb(60000, 40000), over},
      {"png 30000x30000", ImageKind::kPng, testing::PngBomb(30000, 30000), over},
      {"png 60000x60000", ImageKind::kPng, testing::PngBomb(60000, 60000), over},
      {"png 1000000x5000", ImageKind::kPng, testing::PngBomb(1000000, 5000), over},
      // Within the limit (36 megapixels): decoded, and found short, within the bound.
      {"jpeg 6000x6000", ImageKind::kJpeg, testing::JpegBomb(6000, 6000), within},
      {"png 6000x6000", ImageKind::kPng, testing::PngBomb(6000, 6000), within},
  };
  for (const auto& bomb : bombs) {
    ASSERT_LT(bomb.bytes.size(), 1000u) << bomb.name;
    int64_t peak = 0;
    const int status = testing::RunInChild(
        [&] {
          try {
            DecodeAndResize(bomb.kind, bomb.bytes, 64, "bombs.tar:000001");
          } catch (const ConfigError& e) {
            const std::string what = e.what();
            const bool refused = what.find("data.max_image_pixels (40000000)") != std::string::npos;
            return what.find(bomb.error) != std::string::npos && (refused || bomb.error == within)
                       ? 0
                       : 2;
          }
          return 1;  // decoded: not a bomb to this decoder
        },
        uint64_t{2} << 30, &peak);
    EXPECT_EQ(status, 0) << bomb.name << " (1: decoded, 2: another error, 98: not a ConfigError)";
    EXPECT_LT(peak, int64_t{256} << 20) << bomb.name;
    std::cout << "[ peak    ] " << bomb.name << ": " << peak / (1 << 20) << " MiB\n";
  }
}

}  // namespace
}  // namespace florenz::data
