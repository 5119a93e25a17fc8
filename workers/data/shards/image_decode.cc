// JPEG and PNG decoding and the square resize (image_decode.h).
#include "workers/data/shards/image_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/errors.h"

namespace florenz::data {
namespace {

[[noreturn]] void Undecodable(const std::string& where, const std::string& why) {
  throw ConfigError(SourceLocation{where, 0, 0}, "the image cannot be decoded: " + why);
}

struct TjDeleter {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

// Refuses an image whose header gives more than max_pixels pixels (64-bit: a 65,500-pixel
// side squared overflows an int), before its pixels are allocated.
void CheckPixels(int64_t width, int64_t height, int64_t max_pixels, const std::string& where) {
  if (width * height <= max_pixels) return;
  throw ConfigError(SourceLocation{where, 0, 0}, "an image of " + std::to_string(width) + " × " +
                                                     std::to_string(height) + " pixels (" +
                                                     std::to_string(width * height) +
                                                     "), more than data.max_image_pixels (" +
                                                     std::to_string(max_pixels) + "): not decoded");
}

// One decompressor per thread (tjInitDecompress allocates, and input threads decode in a loop),
// replaced after any error: TurboJPEG 2.1 keeps a failed header's error in its handle, and every
// later image on that handle fails with it.
TjHandle& ThreadDecompressor() {
  thread_local TjHandle handle;
  if (!handle) handle.reset(tjInitDecompress());
  return handle;
}

RgbImage DecodeJpeg(const std::string& bytes, int min_side, int64_t max_pixels,
                    const std::string& where) {
  TjHandle& handle = ThreadDecompressor();
  tjhandle tj = handle.get();
  if (tj == nullptr) Undecodable(where, "TurboJPEG did not start");
  const auto fail = [&handle, &where](tjhandle failed) {
    const std::string why = tjGetErrorStr2(failed);
    handle.reset();  // a fresh one for the next image
    Undecodable(where, why);
  };
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (tjDecompressHeader3(tj, data, bytes.size(), &width, &height, &subsampling, &colorspace) !=
      0) {
    fail(tj);
  }
  CheckPixels(width, height, max_pixels, where);
  RgbImage image;
  JpegDecodeSize(width, height, min_side, &image.width, &image.height);
  image.pixels.resize(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3);
  // A warning (a JPEG cut short, corrupt data) stops too: a half-grey image never trains.
  if (tjDecompress2(tj, data, bytes.size(), image.pixels.data(), image.width, 0, image.height,
                    TJPF_RGB, TJFLAG_FASTDCT | TJFLAG_STOPONWARNING) != 0) {
    fail(tj);
  }
  return image;
}

RgbImage DecodePng(const std::string& bytes, int64_t max_pixels, const std::string& where) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    const std::string why = png.message;
    png_image_free(&png);
    Undecodable(where, why);
  }
  try {
    CheckPixels(png.width, png.height, max_pixels, where);
  } catch (...) {
    png_image_free(&png);
    throw;
  }
  png.format = PNG_FORMAT_RGB;
  RgbImage image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  // Not PNG_IMAGE_SIZE: it multiplies in 32 bits and wraps above 4 GiB.
  image.pixels.resize(static_cast<size_t>(png.width) * png.height * 3);
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr)) {
    const std::string why = png.message;
    png_image_free(&png);
    Undecodable(where, why);
  }
  return image;
}

}  // namespace

void JpegDecodeSize(int width, int height, int min_side, int* decoded_width, int* decoded_height) {
  *decoded_width = width;
  *decoded_height = height;
  if (min_side <= 0) return;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  for (int i = 0; i < count; ++i) {
    if (factors[i].num > factors[i].denom) continue;  // TurboJPEG also scales up (to 2/1)
    const int w = TJSCALED(width, factors[i]), h = TJSCALED(height, factors[i]);
    if (std::min(w, h) >= min_side &&
        static_cast<int64_t>(w) * h < static_cast<int64_t>(*decoded_width) * *decoded_height) {
      *decoded_width = w;
      *decoded_height = h;
    }
  }
}

RgbImage DecodeImage(ImageKind kind, const std::string& bytes, int min_side,
                     const std::string& where, int64_t max_pixels) {
  RgbImage image;
  if (kind == ImageKind::kJpeg) {
    image = DecodeJpeg(bytes, min_side, max_pixels, where);
  } else if (kind == ImageKind::kPng) {
    image = DecodePng(bytes, max_pixels, where);
  } else {
    Undecodable(where, std::string("a .") + ToString(kind) + " member holds no pixels");
  }
  if (image.width < 1 || image.height < 1) Undecodable(where, "an image of no pixels");
  return image;
}

std::vector<float> SquareResize(const RgbImage& image, int size) {
  const int side = std::min(image.width, image.height);
  const int x0 = (image.width - side) / 2, y0 = (image.height - side) / 2;
  const size_t plane = static_cast<size_t>(size) * size;
  std::vector<float> chw(3 * plane);
  for (int oy = 0; oy < size; ++oy) {
    // Source rows [ya, yb) of this output row; at least one (nearest when upscaling).
    const int ya = y0 + static_cast<int>(static_cast<int64_t>(oy) * side / size);
    const int yb =
        std::max(ya + 1, y0 + static_cast<int>(static_cast<int64_t>(oy + 1) * side / size));
    for (int ox = 0; ox < size; ++ox) {
      const int xa = x0 + static_cast<int>(static_cast<int64_t>(ox) * side / size);
      const int xb =
          std::max(xa + 1, x0 + static_cast<int>(static_cast<int64_t>(ox + 1) * side / size));
      uint64_t sum[3] = {0, 0, 0};  // a box of a 4-gigapixel image overflows 32 bits
      for (int y = ya; y < yb; ++y) {
        const unsigned char* row =
            image.pixels.data() + (static_cast<size_t>(y) * image.width + xa) * 3;
        for (int x = xa; x < xb; ++x, row += 3) {
          sum[0] += row[0];
          sum[1] += row[1];
          sum[2] += row[2];
        }
      }
      const float scale =
          1.0f / (255.0f * static_cast<float>(static_cast<int64_t>(yb - ya) * (xb - xa)));
      const size_t at = static_cast<size_t>(oy) * size + ox;
      for (int c = 0; c < 3; ++c) chw[c * plane + at] = static_cast<float>(sum[c]) * scale;
    }
  }
  return chw;
}

std::vector<float> DecodeAndResize(ImageKind kind, const std::string& bytes, int size,
                                   const std::string& where, int64_t max_pixels) {
  return SquareResize(DecodeImage(kind, bytes, size, where, max_pixels), size);
}

std::string EncodeJpeg(const RgbImage& image, int quality) {
  TjHandle tj(tjInitCompress());
  unsigned char* out = nullptr;
  unsigned long size = 0;
  if (tj == nullptr || tjCompress2(tj.get(), image.pixels.data(), image.width, 0, image.height,
                                   TJPF_RGB, &out, &size, TJSAMP_420, quality, 0) != 0) {
    if (out != nullptr) tjFree(out);
    throw IoError("cannot encode a JPEG: " +
                  std::string(tj ? tjGetErrorStr2(tj.get()) : "TurboJPEG did not start"));
  }
  std::string bytes(reinterpret_cast<const char*>(out), size);
  tjFree(out);
  return bytes;
}

}  // namespace florenz::data
