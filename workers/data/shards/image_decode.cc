// JPEG and PNG decoding and the square resize (image_decode.h).
#include "workers/data/shards/image_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

// The box filter of SquareResize fed one decoded row at a time, top to bottom, for a centre
// square of at least `size` pixels a side: each source row of the square then falls in exactly
// one output row (and each column in one output column), so rows can be summed as they arrive
// and dropped. Sums are integers and the scale is the same expression, so the floats are those
// of a whole-image resize bit for bit.
class SquareBoxFilter {
 public:
  SquareBoxFilter(int width, int height, int size)
      : size_(size),
        side_(std::min(width, height)),
        x0_((width - side_) / 2),
        y0_((height - side_) / 2),
        columns_(size + 1),
        sums_(static_cast<size_t>(size) * 3),
        chw_(static_cast<size_t>(3) * size * size) {
    for (int ox = 0; ox <= size; ++ox) columns_[ox] = x0_ + Edge(ox);
  }

  // Row y of the image (rows outside the square are ignored), 3 bytes a pixel.
  void AddRow(int y, const unsigned char* rgb) {
    if (y < y0_ || y >= y0_ + side_ || out_row_ >= size_) return;
    for (int ox = 0; ox < size_; ++ox) {
      const unsigned char* pixel = rgb + static_cast<size_t>(columns_[ox]) * 3;
      uint64_t* sum = &sums_[static_cast<size_t>(ox) * 3];
      for (int x = columns_[ox]; x < columns_[ox + 1]; ++x, pixel += 3) {
        sum[0] += pixel[0];
        sum[1] += pixel[1];
        sum[2] += pixel[2];
      }
    }
    if (y + 1 < y0_ + Edge(out_row_ + 1)) return;
    // The last source row of output row out_row_: its pixels are complete.
    const int rows = Edge(out_row_ + 1) - Edge(out_row_);
    const size_t plane = static_cast<size_t>(size_) * size_;
    for (int ox = 0; ox < size_; ++ox) {
      const float scale = 1.0f / (255.0f * static_cast<float>(static_cast<int64_t>(rows) *
                                                              (columns_[ox + 1] - columns_[ox])));
      const size_t at = static_cast<size_t>(out_row_) * size_ + ox;
      uint64_t* sum = &sums_[static_cast<size_t>(ox) * 3];
      for (int c = 0; c < 3; ++c) {
        chw_[c * plane + at] = static_cast<float>(sum[c]) * scale;
        sum[c] = 0;
      }
    }
    ++out_row_;
  }

  std::vector<float> Take() { return std::move(chw_); }

 private:
  // Where output row or column k starts, from the square's edge.
  int Edge(int k) const { return static_cast<int>(static_cast<int64_t>(k) * side_ / size_); }

  int size_, side_, x0_, y0_, out_row_ = 0;
  std::vector<int> columns_;
  std::vector<uint64_t> sums_;  // a box of a 4-gigapixel image overflows 32 bits
  std::vector<float> chw_;
};

// libpng's low-level reader over a sample's bytes, errors carried out by longjmp.
struct PngStream {
  const unsigned char* data = nullptr;
  size_t size = 0, at = 0;
  char error[200] = {};
  std::vector<unsigned char> row;
  std::unique_ptr<SquareBoxFilter> filter;
};

void PngStreamRead(png_structp png, png_bytep out, png_size_t need) {
  auto* stream = static_cast<PngStream*>(png_get_io_ptr(png));
  if (stream->size - stream->at < need) png_error(png, "read beyond end of data");
  std::memcpy(out, stream->data + stream->at, need);
  stream->at += need;
}

void PngStreamError(png_structp png, png_const_charp message) {
  auto* stream = static_cast<PngStream*>(png_get_error_ptr(png));
  std::snprintf(stream->error, sizeof stream->error, "%s", message);
  png_longjmp(png, 1);
}

void PngStreamWarning(png_structp, png_const_charp) {}

// A PNG for a size × size model input, decoded row by row into the box filter: memory is one
// row and the output whatever the image's size. Taken for what libpng's simplified reader (the
// whole-image path, DecodePng) hands over row for row — no alpha channel and no tRNS (those it
// composites in a pass of its own), not interlaced — and a centre square of at least `size`:
// the same transformations (palette and low bit depths expanded, grey to RGB, the file's gamma
// to sRGB, 16 bits scaled to 8), so the pixels are the same. Returns false with nothing decoded
// for any other PNG, or one whose header libpng refuses (the whole-image path then decodes or
// refuses it in its own words); throws as DecodePng for an image over max_pixels and for
// undecodable rows.
bool StreamPngSquare(const std::string& bytes, int size, int64_t max_pixels,
                     const std::string& where, std::vector<float>* chw) {
  // Everything that changes after setjmp lives on the heap (or is volatile): after a longjmp,
  // locals changed since the setjmp have no defined value.
  const auto stream = std::make_unique<PngStream>();
  stream->data = reinterpret_cast<const unsigned char*>(bytes.data());
  stream->size = bytes.size();
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, stream.get(), PngStreamError, PngStreamWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  volatile bool reading_rows = false;
  volatile int64_t refused_width = -1, refused_height = -1;
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    if (!reading_rows) return false;
    Undecodable(where, stream->error);
  }
  png_set_read_fn(png, stream.get(), PngStreamRead);
  png_set_benign_errors(png, 1);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info),
                    height = png_get_image_height(png, info);
  const int color_type = png_get_color_type(png, info);
  const bool streamable = (color_type & PNG_COLOR_MASK_ALPHA) == 0 &&
                          png_get_valid(png, info, PNG_INFO_tRNS) == 0 &&
                          png_get_interlace_type(png, info) == PNG_INTERLACE_NONE &&
                          std::min(width, height) >= static_cast<png_uint_32>(std::max(size, 1));
  if (static_cast<int64_t>(width) * height > max_pixels) {
    refused_width = width;
    refused_height = height;
  }
  if (!streamable || refused_width >= 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    if (refused_width >= 0) CheckPixels(refused_width, refused_height, max_pixels, where);
    return false;
  }
  png_set_expand(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  // The gamma of a file without gAMA, as the simplified reader assumes it: sRGB, or linear for
  // 16-bit samples.
  const bool sixteen = png_get_bit_depth(png, info) == 16;
  png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, sixteen ? PNG_GAMMA_LINEAR : PNG_DEFAULT_sRGB);
  if (sixteen) png_set_scale_16(png);
  png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, PNG_DEFAULT_sRGB);  // the output's
  reading_rows = true;
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * 3) {
    png_error(png, "png rows are not 8-bit RGB after the transformations");
  }
  stream->row.resize(static_cast<size_t>(width) * 3);
  stream->filter = std::make_unique<SquareBoxFilter>(width, height, size);
  // Every row, as the whole-image path reads them: a PNG cut short fails either way.
  for (png_uint_32 y = 0; y < height; ++y) {
    png_read_row(png, stream->row.data(), nullptr);
    stream->filter->AddRow(static_cast<int>(y), stream->row.data());
  }
  png_destroy_read_struct(&png, &info, nullptr);
  *chw = stream->filter->Take();
  return true;
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
  if (side >= size) {
    SquareBoxFilter filter(image.width, image.height, size);
    for (int y = 0; y < image.height; ++y) {
      filter.AddRow(y, image.pixels.data() + static_cast<size_t>(y) * image.width * 3);
    }
    return filter.Take();
  }
  // Upscaling: each output pixel is the source pixel it falls in (nearest).
  const int x0 = (image.width - side) / 2, y0 = (image.height - side) / 2;
  const size_t plane = static_cast<size_t>(size) * size;
  std::vector<float> chw(3 * plane);
  for (int oy = 0; oy < size; ++oy) {
    const int y = y0 + static_cast<int>(static_cast<int64_t>(oy) * side / size);
    for (int ox = 0; ox < size; ++ox) {
      const int x = x0 + static_cast<int>(static_cast<int64_t>(ox) * side / size);
      const unsigned char* pixel =
          image.pixels.data() + (static_cast<size_t>(y) * image.width + x) * 3;
      const size_t at = static_cast<size_t>(oy) * size + ox;
      for (int c = 0; c < 3; ++c)
        chw[c * plane + at] = static_cast<float>(pixel[c]) * (1.0f / 255.0f);
    }
  }
  return chw;
}

std::vector<float> DecodeAndResize(ImageKind kind, const std::string& bytes, int size,
                                   const std::string& where, int64_t max_pixels) {
  std::vector<float> chw;
  if (kind == ImageKind::kPng && StreamPngSquare(bytes, size, max_pixels, where, &chw)) return chw;
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
