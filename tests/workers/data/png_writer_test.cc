// Tests of workers/data/png_writer.h: the file is a valid PNG (signature, IHDR, chunk CRCs) whose
// IDAT inflates to the expected upscaled pixels, and an unwritable path raises IoError.
#include "workers/data/png_writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "core/errors.h"

namespace florenz::data {
namespace {

uint32_t U32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<unsigned char>(s[at])} << 24) |
         (uint32_t{static_cast<unsigned char>(s[at + 1])} << 16) |
         (uint32_t{static_cast<unsigned char>(s[at + 2])} << 8) |
         uint32_t{static_cast<unsigned char>(s[at + 3])};
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(WritePngTest, RoundTrip) {
  const int size = 4, scale = 3;
  std::vector<float> chw(3 * size * size);
  for (size_t i = 0; i < chw.size(); ++i) chw[i] = static_cast<float>(i) / (chw.size() - 1);
  chw[0] = -0.5f;  // clamped to 0
  chw[5] = 1.5f;   // clamped to 1
  const std::filesystem::path path =
      std::filesystem::path(testing::TempDir()) / "florenz_png_writer_test.png";
  WritePng(path, chw, size, scale);
  const std::string png = ReadAll(path);
  std::filesystem::remove(path);

  ASSERT_GE(png.size(), 8u + 25 + 12);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  // Walk the chunks, checking each CRC and collecting IDAT.
  std::string idat, types;
  uint32_t width = 0, height = 0;
  for (size_t at = 8; at < png.size();) {
    const uint32_t length = U32(png, at);
    const std::string type = png.substr(at + 4, 4);
    ASSERT_LE(at + 12 + length, png.size());
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4);
    EXPECT_EQ(U32(png, at + 8 + length), crc) << type;
    const std::string data = png.substr(at + 8, length);
    if (type == "IHDR") {
      ASSERT_EQ(length, 13u);
      width = U32(data, 0);
      height = U32(data, 4);
      EXPECT_EQ(data[8], 8);  // bit depth
      EXPECT_EQ(data[9], 2);  // RGB
    }
    if (type == "IDAT") idat += data;
    types += type + " ";
    at += 12 + length;
  }
  EXPECT_EQ(types, "IHDR IDAT IEND ");
  ASSERT_EQ(width, uint32_t{size * scale});
  ASSERT_EQ(height, uint32_t{size * scale});

  const size_t stride = 1 + 3 * width;
  std::vector<unsigned char> raw(stride * height);
  uLongf raw_size = raw.size();
  ASSERT_EQ(
      uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
      Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  for (uint32_t y = 0; y < height; ++y) {
    EXPECT_EQ(raw[y * stride], 0) << "filter type of row " << y;
    for (uint32_t x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float v = chw[(c * size + y / scale) * size + x / scale];
        const int want = static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
        ASSERT_EQ(raw[y * stride + 1 + 3 * x + c], want) << x << "," << y << " channel " << c;
      }
    }
  }
}

TEST(WritePngTest, UnwritablePathIsAnIoErrorNamingTheFile) {
  const std::filesystem::path path = "/nonexistent-florenz-dir/sub/image.png";
  try {
    WritePng(path, std::vector<float>(3, 0.5f), 1, 1);
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace florenz::data
