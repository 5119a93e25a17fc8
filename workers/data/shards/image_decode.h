// Pixels of a corpus's images: JPEG through libjpeg-turbo (TurboJPEG, decoding at the smallest
// DCT scale — 1/8 … 1 — that still covers the target, so a 640×480 photo for a 64-pixel model
// is decoded at 1/4 size) and PNG through libpng; then the centre square is cropped and
// box-filtered to size × size. The result is what RenderImage gives for a synthetic scene: CHW
// floats in [0, 1], channel-major — the input of the model's trainable patch embedding.
// Bounded: an image's size is read from its header and refused above data.max_image_pixels
// before anything is allocated, so no sample (a decompression bomb) can take more than about
// 3 bytes × max_image_pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/data_options.h"
#include "workers/data/shards/shard_index.h"

namespace florenz::data {

// An image decoded to 8-bit RGB, row-major, 3 bytes a pixel.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<unsigned char> pixels;
};

// Decodes `bytes` (kind kJpeg or kPng). A JPEG is decoded at the smallest DCT scale whose
// shorter side is still >= min_side (0: full size; never scaled up). Throws ConfigError "WHERE:
// the image cannot be decoded: <the library's message>" for bytes that are not an image of that
// kind, and "WHERE: an image of W × H pixels, more than data.max_image_pixels …" when its header
// gives more than `max_pixels` pixels (nothing is allocated for it). After any error the
// thread's JPEG decoder is replaced: a bad image never fails the next one.
RgbImage DecodeImage(ImageKind kind, const std::string& bytes, int min_side,
                     const std::string& where, int64_t max_pixels = kDefaultMaxImagePixels);

// The size a JPEG of width × height is decoded at for min_side (see DecodeImage): the smallest
// of TurboJPEG's scales 1/8 … 1 whose shorter side still covers min_side; full size when none
// does or min_side is 0.
void JpegDecodeSize(int width, int height, int min_side, int* decoded_width, int* decoded_height);

// The centre square of `image`, box-filtered (each output pixel the mean of the source pixels
// it covers, nearest for upscaling) to size × size; CHW floats in [0, 1].
std::vector<float> SquareResize(const RgbImage& image, int size);

// DecodeImage then SquareResize: a sample's model input.
std::vector<float> DecodeAndResize(ImageKind kind, const std::string& bytes, int size,
                                   const std::string& where,
                                   int64_t max_pixels = kDefaultMaxImagePixels);

// Encodes RGB pixels as a JPEG of `quality` (tests, benchmarks and `florenz data export`).
std::string EncodeJpeg(const RgbImage& image, int quality);

}  // namespace florenz::data
