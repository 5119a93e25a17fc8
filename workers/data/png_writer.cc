// PNG encoding with zlib alone: signature, IHDR, one IDAT (compress2 of filter-0 scanlines) and
// IEND, each chunk closed by the CRC-32 zlib computes. Enough for previews and test images.
#include "workers/data/png_writer.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/errors.h"
#include "experiments/durable_write.h"

namespace florenz::data {
namespace {

void PutU32(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

// Length, type, data, then the CRC over type and data (PNG spec, section 5.3).
void PutChunk(std::string& out, const char type[4], const unsigned char* data, size_t size) {
  PutU32(out, static_cast<uint32_t>(size));
  const size_t crc_from = out.size();
  out.append(type, 4);
  out.append(reinterpret_cast<const char*>(data), size);
  const uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(out.data() + crc_from), static_cast<uInt>(size + 4));
  PutU32(out, static_cast<uint32_t>(crc));
}

}  // namespace

std::string EncodePng(const std::vector<float>& chw, int size, int scale) {
  if (size < 1 || scale < 1 || chw.size() != 3 * static_cast<size_t>(size) * size) {
    throw std::invalid_argument(
        "WritePng: need size >= 1, scale >= 1 and 3 * size^2 values (size " + std::to_string(size) +
        ", scale " + std::to_string(scale) + ", " + std::to_string(chw.size()) + " values)");
  }
  const size_t width = static_cast<size_t>(size) * scale;
  const size_t plane = static_cast<size_t>(size) * size;

  // Scanlines: a filter-type byte (0, none) then RGB triples.
  const size_t stride = 1 + 3 * width;
  std::vector<unsigned char> raw(stride * width);
  for (size_t y = 0; y < width; ++y) {
    unsigned char* line = raw.data() + y * stride;
    line[0] = 0;
    const size_t row = y / scale;
    for (size_t x = 0; x < width; ++x) {
      const size_t pixel = row * size + x / scale;
      for (int c = 0; c < 3; ++c) {
        const float value = std::clamp(chw[c * plane + pixel], 0.0f, 1.0f);
        line[1 + 3 * x + c] = static_cast<unsigned char>(std::lround(value * 255.0f));
      }
    }
  }

  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<unsigned char> compressed(compressed_size);
  const int status = compress2(compressed.data(), &compressed_size, raw.data(),
                               static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  if (status != Z_OK) {
    throw IoError(std::string("cannot encode a PNG: zlib compress2 failed (") + zError(status) +
                  ")");
  }

  std::string png = "\x89PNG\r\n\x1a\n";
  unsigned char ihdr[13];
  const uint32_t w = static_cast<uint32_t>(width);
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = static_cast<unsigned char>(w >> (24 - 8 * i));  // width
    ihdr[4 + i] = ihdr[i];                                    // height (square)
  }
  ihdr[8] = 8;   // bit depth
  ihdr[9] = 2;   // colour type: truecolour RGB
  ihdr[10] = 0;  // compression: deflate
  ihdr[11] = 0;  // filter method 0
  ihdr[12] = 0;  // no interlace
  PutChunk(png, "IHDR", ihdr, sizeof ihdr);
  PutChunk(png, "IDAT", compressed.data(), compressed_size);
  PutChunk(png, "IEND", nullptr, 0);
  return png;
}

void WritePng(const std::filesystem::path& path, const std::vector<float>& chw, int size,
              int scale) {
  // A temporary of its own renamed over `path`: never written through a link there, never
  // left half written (experiments/durable_write.h).
  WriteFileAtomically(path, EncodePng(chw, size, scale));
}

}  // namespace florenz::data
