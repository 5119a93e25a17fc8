// Pixels of a corpus's images: JPEG through libjpeg-turbo (TurboJPEG, decoding at the smallest
// DCT scale — 1/8 … 1 — that still covers the target, so a 640×480 photo for a 64-pixel model
// is decoded at 1/4 size) and PNG through libpng; then the centre square is cropped and
// box-filtered to size × size. The result is what RenderImage gives for a synthetic scene: CHW
// floats in [0, 1], channel-major — the input of the model's trainable patch embedding.
#pragma once

#include <string>
#include <vector>

#include "workers/data/shards/shard_index.h"

namespace florenz::data {

// An image decoded to 8-bit RGB, row-major, 3 bytes a pixel.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<unsigned char> pixels;
};

// Decodes `bytes` (kind kJpeg or kPng). A JPEG is decoded at the smallest DCT scale whose
// shorter side is still >= min_side (0: full size). Throws ConfigError "WHERE: the image cannot be
// decoded: <the library's message>" for bytes that are not an image of that kind.
RgbImage DecodeImage(ImageKind kind, const std::string& bytes, int min_side,
                     const std::string& where);

// The centre square of `image`, box-filtered (each output pixel the mean of the source pixels
// it covers, nearest for upscaling) to size × size; CHW floats in [0, 1].
std::vector<float> SquareResize(const RgbImage& image, int size);

// DecodeImage then SquareResize: a sample's model input.
std::vector<float> DecodeAndResize(ImageKind kind, const std::string& bytes, int size,
                                   const std::string& where);

// Encodes RGB pixels as a JPEG of `quality` (tests, benchmarks and `florenz data export`).
std::string EncodeJpeg(const RgbImage& image, int quality);

}  // namespace florenz::data
