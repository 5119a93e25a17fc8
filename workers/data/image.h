// What the model sees of a scene: a small anti-aliased RGB image (the `image: pixels` mode) or
// one noisy attribute vector per object (the cheaper `image: symbolic` mode of the issue). Both
// are pure functions of the scene and the rng state, so samples stay reproducible.
#pragma once

#include <array>
#include <vector>

#include "workers/data/sample_rng.h"
#include "workers/data/scene.h"

namespace florenz::data {

// The drawing colour of each Colour value, RGB in [0, 1], indexed by the enum. Chosen to be far
// from each other and from the mid-grey background (every one differs from the background by
// ≥ 0.3 in some channel), so colour words are learnable from pixels.
std::array<float, 3> PaletteColour(Colour colour);

// Renders `scene` as a CHW float image, 3 × size × size, channel-major (R plane, then G, then B),
// values in [0, 1]. Pixel (row, col) of channel c is at [(c * size + row) * size + col]; object
// centres map to (x * size, y * size) in pixel units, y down.
//
// The picture: a mid-grey background with a faint random tint, a linear gradient and a
// low-frequency wave (drawn from `rng`), the objects as flat-coloured shapes with a 1-pixel
// anti-aliasing ramp (coverage from a signed distance function), then independent Gaussian
// noise of standard deviation `noise` per pixel and channel, clamped to [0, 1].
//
// `size` ≥ 1; `noise` ≥ 0. The number of draws taken from `rng` depends only on `size` (not on
// the scene or `noise`), and equal scene + equal rng state give bit-identical images. The
// per-pixel noise comes from a 4096-level quantile table of the unit normal (exact variance,
// tails cut at ≈ 3.5 σ), five values per rng draw, which is what keeps a 32 × 32 image at a few
// microseconds.
std::vector<float> RenderImage(const Scene& scene, int size, double noise, SampleRng& rng);

// Width of one object's symbolic feature vector: one-hot shape (kShapes = 10), one-hot colour
// (kColours = 8), one-hot size (kObjectSizes = 2), then x and y of the centre.
int SymbolicFeatureSize();

// The symbolic image: scene.objects.size() × SymbolicFeatureSize() floats, row-major, one row
// per object in scene.objects order, every feature plus N(0, noise²) (PROTOTYPE.md: σ = 0.3
// leaves a best exact match near 0.85). Draws exactly one normal per feature from `rng`, also
// when `noise` is 0.
std::vector<float> SymbolicFeatures(const Scene& scene, double noise, SampleRng& rng);

}  // namespace florenz::data
