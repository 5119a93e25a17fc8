// A minimal PNG writer for rendered images, so `florenz data preview` and the tests can show
// what the model sees. Uses zlib only (no libpng): 8-bit RGB, no interlacing, filter 0.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace florenz::data {

// Writes `chw` (3 × size × size floats in [0, 1], channel-major as RenderImage returns them;
// values outside are clamped) as an 8-bit RGB PNG of (size · scale)² pixels, each image pixel
// repeated scale × scale times (nearest neighbour) so a 32-pixel image is viewable.
// Requires size ≥ 1, scale ≥ 1 and chw.size() == 3 · size². Throws florenz::IoError naming the
// file when it cannot be written.
void WritePng(const std::filesystem::path& path, const std::vector<float>& chw, int size,
              int scale);

// The bytes of that PNG (what WritePng writes), for `florenz data export`'s shards.
std::string EncodePng(const std::vector<float>& chw, int size, int scale);

}  // namespace florenz::data
