// JPEG and PNG decoding and the square resize (image_decode.h).
#include "workers/data/shards/image_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
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

// One decompressor per thread: tjInitDecompress allocates, and input threads decode in a loop.
tjhandle Decompressor() {
  thread_local TjHandle handle(tjInitDecompress());
  return handle.get();
}

RgbImage DecodeJpeg(const std::string& bytes, int min_side, const std::string& where) {
  tjhandle tj = Decompressor();
  if (tj == nullptr) Undecodable(where, "TurboJPEG did not start");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (tjDecompressHeader3(tj, data, bytes.size(), &width, &height, &subsampling, &colorspace) !=
      0) {
    Undecodable(where, tjGetErrorStr2(tj));
  }
  // The smallest scale whose shorter side still covers min_side.
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  int best_w = width, best_h = height;
  for (int i = 0; i < count && min_side > 0; ++i) {
    const int w = TJSCALED(width, factors[i]), h = TJSCALED(height, factors[i]);
    if (std::min(w, h) >= min_side && w * h < best_w * best_h) best_w = w, best_h = h;
  }
  RgbImage image;
  image.width = best_w;
  image.height = best_h;
  image.pixels.resize(static_cast<size_t>(best_w) * best_h * 3);
  // A warning (a JPEG cut short, corrupt data) stops too: a half-grey image never trains.
  if (tjDecompress2(tj, data, bytes.size(), image.pixels.data(), best_w, 0, best_h, TJPF_RGB,
                    TJFLAG_FASTDCT | TJFLAG_STOPONWARNING) != 0) {
    Undecodable(where, tjGetErrorStr2(tj));
  }
  return image;
}

RgbImage DecodePng(const std::string& bytes, const std::string& where) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    const std::string why = png.message;
    png_image_free(&png);
    Undecodable(where, why);
  }
  png.format = PNG_FORMAT_RGB;
  RgbImage image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr)) {
    const std::string why = png.message;
    png_image_free(&png);
    Undecodable(where, why);
  }
  return image;
}

}  // namespace

RgbImage DecodeImage(ImageKind kind, const std::string& bytes, int min_side,
                     const std::string& where) {
  RgbImage image;
  if (kind == ImageKind::kJpeg) {
    image = DecodeJpeg(bytes, min_side, where);
  } else if (kind == ImageKind::kPng) {
    image = DecodePng(bytes, where);
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
      unsigned sum[3] = {0, 0, 0};
      for (int y = ya; y < yb; ++y) {
        const unsigned char* row =
            image.pixels.data() + (static_cast<size_t>(y) * image.width + xa) * 3;
        for (int x = xa; x < xb; ++x, row += 3) {
          sum[0] += row[0];
          sum[1] += row[1];
          sum[2] += row[2];
        }
      }
      const float scale = 1.0f / (255.0f * static_cast<float>((yb - ya) * (xb - xa)));
      const size_t at = static_cast<size_t>(oy) * size + ox;
      for (int c = 0; c < 3; ++c) chw[c * plane + at] = static_cast<float>(sum[c]) * scale;
    }
  }
  return chw;
}

std::vector<float> DecodeAndResize(ImageKind kind, const std::string& bytes, int size,
                                   const std::string& where) {
  return SquareResize(DecodeImage(kind, bytes, size, where), size);
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
