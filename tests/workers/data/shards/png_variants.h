// PNGs of every kind libpng reads, written with its low-level writer for the decoding tests:
// colour type, bit depth, interlacing, a gAMA or sRGB chunk and a tRNS entry are chosen, and the
// samples come from a function of (x, y, channel), written one row at a time (a large image
// never exists whole in memory).
#pragma once

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace florenz::testing {

struct PngVariant {
  int color_type = PNG_COLOR_TYPE_RGB;  // PNG_COLOR_TYPE_*
  int bit_depth = 8;                    // 1, 2, 4, 8 or 16, as the colour type allows
  bool interlaced = false;              // Adam7
  double gamma = 0;                     // > 0: a gAMA chunk with this file gamma
  bool srgb = false;                    // an sRGB chunk
  bool transparent_entry = false;       // a tRNS chunk (grey, RGB or palette)
  int compression_level = 6;
};

// The image as PNG bytes; sample(x, y, c) gives channel c's value in [0, 2^bit_depth) (for a
// palette image channel 0 is the index, below 2^bit_depth and 256). Empty when libpng fails.
inline std::string WritePngVariant(uint32_t width, uint32_t height, const PngVariant& variant,
                                   const std::function<uint32_t(uint32_t, uint32_t, int)>& sample) {
  struct Sink {
    std::string bytes;
  };
  const auto sink = std::make_unique<Sink>();  // grows after setjmp: not a local of this frame
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png == nullptr ? nullptr : png_create_info_struct(png);
  if (info == nullptr) return "";
  const int channels = variant.color_type == PNG_COLOR_TYPE_RGB          ? 3
                       : variant.color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                       : variant.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                                         : 1;
  std::vector<png_byte> row((static_cast<size_t>(width) * channels * variant.bit_depth + 7) / 8);
  std::vector<png_color> palette(256);
  for (int i = 0; i < 256; ++i) {
    palette[i] = png_color{static_cast<png_byte>(i), static_cast<png_byte>(255 - i),
                           static_cast<png_byte>((i * 7) & 0xff)};
  }
  png_byte alpha[1] = {128};
  png_color_16 transparent{};
  transparent.gray = transparent.red = 1;
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return "";
  }
  png_set_write_fn(
      png, sink.get(),
      [](png_structp p, png_bytep data, png_size_t size) {
        static_cast<Sink*>(png_get_io_ptr(p))->bytes.append(reinterpret_cast<char*>(data), size);
      },
      [](png_structp) {});
  png_set_compression_level(png, variant.compression_level);
  png_set_IHDR(png, info, width, height, variant.bit_depth, variant.color_type,
               variant.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (variant.color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_PLTE(png, info, palette.data(), std::min(256, 1 << variant.bit_depth));
  }
  if (variant.gamma > 0) png_set_gAMA(png, info, variant.gamma);
  if (variant.srgb) png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  if (variant.transparent_entry) png_set_tRNS(png, info, alpha, 1, &transparent);
  png_write_info(png, info);
  const int passes = variant.interlaced ? png_set_interlace_handling(png) : 1;
  for (int pass = 0; pass < passes; ++pass) {
    for (uint32_t y = 0; y < height; ++y) {
      std::fill(row.begin(), row.end(), 0);
      for (uint32_t x = 0; x < width; ++x) {
        for (int c = 0; c < channels; ++c) {
          const uint32_t value = sample(x, y, c);
          const size_t at = (static_cast<size_t>(x) * channels + c) * variant.bit_depth;
          if (variant.bit_depth == 16) {
            row[at / 8] = static_cast<png_byte>(value >> 8);
            row[at / 8 + 1] = static_cast<png_byte>(value);
          } else {
            row[at / 8] |= static_cast<png_byte>(value << (8 - variant.bit_depth - at % 8));
          }
        }
      }
      png_write_row(png, row.data());
    }
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return sink->bytes;
}

}  // namespace florenz::testing
