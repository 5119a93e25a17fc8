// Precomputed image features of a corpus: a sample's KEY.npy, a NumPy array of shape
// [tokens, dim] in float16 or float32 (little-endian, C order) — what a frozen vision tower
// produced once (the paper froze its DaViT encoder). Every sample of a corpus must have the
// shape of its first; the model projects dim into d_model with a trainable linear layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace florenz::data {

struct FeatureArray {
  int tokens = 0, dim = 0;
  std::vector<float> values;  // tokens × dim, row-major
};

// Parses a .npy file's bytes (format versions 1.0, 2.0 and 3.0). Throws ConfigError "WHERE: …"
// for bytes that are not .npy, a dtype other than float16/float32 (little-endian), Fortran
// order, a shape that is not [tokens, dim] (or [dim], one token), or data shorter than the
// shape says.
FeatureArray ReadNpyFeatures(const std::string& bytes, const std::string& where);

// IEEE half to float, one value (exact, subnormals, infinities and NaNs included), and a run of
// `count` little-endian halves — with the F16C instruction where the CPU has it, else
// branch-free — giving the same values (a signalling NaN may come back quiet).
float HalfToFloat(uint16_t half);
void HalfsToFloats(const char* halves, size_t count, float* out);

// The .npy bytes of `features` as float32 or float16 (tests and exports).
std::string WriteNpyFeatures(const FeatureArray& features, bool float16);

// Holds a corpus to the feature shape of its first sample.
class FeatureShapeCheck {
 public:
  // Throws ConfigError "WHERE: features [a, b], but the first sample (FIRST) has [c, d]".
  void Check(const FeatureArray& features, const std::string& where);

 private:
  int tokens_ = -1, dim_ = -1;
  std::string first_;
};

}  // namespace florenz::data
