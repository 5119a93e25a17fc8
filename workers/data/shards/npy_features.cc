// .npy reading and writing (npy_features.h): "\x93NUMPY", major and minor version, the header
// length (2 bytes in 1.0, 4 in 2.0 and 3.0), a Python dict literal padded to 64 bytes, the data.
#include "workers/data/shards/npy_features.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/errors.h"
#include "core/strings.h"

namespace florenz::data {
namespace {

[[noreturn]] void Bad(const std::string& where, const std::string& why) {
  throw ConfigError(SourceLocation{where, 0, 0}, "image features (.npy): " + why);
}

// The text after `'key':` in the header dict, up to the next ',' at depth 0 or '}'.
std::string DictValue(const std::string& header, const std::string& key, const std::string& where) {
  const size_t at = header.find("'" + key + "':");
  if (at == std::string::npos) Bad(where, "the header has no '" + key + "'");
  size_t i = at + key.size() + 3;
  int depth = 0;
  std::string value;
  for (; i < header.size(); ++i) {
    const char c = header[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    value += c;
  }
  const size_t begin = value.find_first_not_of(' ');
  const size_t end = value.find_last_not_of(' ');
  return begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
}

}  // namespace

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

namespace {

// Portable: F. Giesen's half_to_float_fast5, branch-free: the exponent and mantissa shifted
// into place and rebiased; infinities and NaNs get the rest of the bias; subnormals are
// renormalised by a float subtraction, which is exact.
void HalfsToFloatsPortable(const char* halves, size_t count, float* out) {
  constexpr uint32_t kShiftedExponent = 0x7c00u << 13;
  constexpr uint32_t kMagic = 113u << 23;
  float magic;
  std::memcpy(&magic, &kMagic, sizeof magic);
  for (size_t i = 0; i < count; ++i) {
    uint16_t h;
    std::memcpy(&h, halves + 2 * i, 2);
    uint32_t o = static_cast<uint32_t>(h & 0x7fff) << 13;
    const uint32_t exponent = o & kShiftedExponent;
    o += (127u - 15u) << 23;
    const uint32_t inf_nan = exponent == kShiftedExponent ? (128u - 16u) << 23 : 0u;
    o += inf_nan;
    const uint32_t subnormal_bits = o + (1u << 23);
    float subnormal;
    std::memcpy(&subnormal, &subnormal_bits, sizeof subnormal);
    subnormal -= magic;
    uint32_t renormalised;
    std::memcpy(&renormalised, &subnormal, sizeof renormalised);
    o = exponent == 0 ? renormalised : o;
    o |= static_cast<uint32_t>(h & 0x8000) << 16;
    std::memcpy(out + i, &o, sizeof o);
  }
}

#if defined(__x86_64__)
// The F16C instruction, 8 halves at a time (x86-64 CPUs since 2012); the tail portably.
__attribute__((target("avx,f16c"))) void HalfsToFloatsF16c(const char* halves, size_t count,
                                                           float* out) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(halves + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  HalfsToFloatsPortable(halves + 2 * i, count - i, out + i);
}
#endif

}  // namespace

void HalfsToFloats(const char* halves, size_t count, float* out) {
#if defined(__x86_64__)
  static const bool f16c = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  if (f16c) {
    HalfsToFloatsF16c(halves, count, out);
    return;
  }
#endif
  HalfsToFloatsPortable(halves, count, out);
}

namespace {

uint16_t FloatToHalf(float f) {  // round to nearest even; overflow to infinity
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffff;
  if (((bits >> 23) & 0xff) == 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const int shift = 14 - exponent;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t half = (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return sign | static_cast<uint16_t>(half);
}

}  // namespace

FeatureArray ReadNpyFeatures(const std::string& bytes, const std::string& where) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) Bad(where, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_length = 0, data_start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9])
                                                               << 8;
    data_start = 10 + header_length;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) Bad(where, "the file ends inside its header");
    for (int i = 3; i >= 0; --i)
      header_length = header_length << 8 | static_cast<unsigned char>(bytes[8 + i]);
    data_start = 12 + header_length;
  } else {
    Bad(where, "format version " + std::to_string(major) + " (florenz reads 1.0, 2.0 and 3.0)");
  }
  if (data_start > bytes.size()) Bad(where, "the file ends inside its header");
  const std::string header = bytes.substr(data_start - header_length, header_length);
  const std::string descr = DictValue(header, "descr", where);
  const bool float16 = descr == "'<f2'", float32 = descr == "'<f4'";
  if (!float16 && !float32) {
    Bad(where,
        "dtype " + Excerpt(descr) + "; florenz reads little-endian float16 ('<f2') or float32 ('<f4')");
  }
  if (DictValue(header, "fortran_order", where) != "False")
    Bad(where, "Fortran order (save it C-contiguous)");
  const std::string shape = DictValue(header, "shape", where);
  // "(16, 768)" or "(768,)": the numbers between the parentheses.
  std::vector<long> dims;
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    Bad(where, "shape " + Excerpt(shape) + " is not [tokens, dim]");
  }
  for (const std::string& part : SplitNonEmpty(shape.substr(1, shape.size() - 2), ',')) {
    char* end = nullptr;
    const long value = std::strtol(part.c_str(), &end, 10);
    if (end == part.c_str() ||
        part.find_first_not_of(" ", end - part.c_str()) != std::string::npos) {
      Bad(where, "shape " + Excerpt(shape) + " is not [tokens, dim]");
    }
    dims.push_back(value);
  }
  if (dims.empty() || dims.size() > 2) Bad(where, "shape " + Excerpt(shape) + " is not [tokens, dim]");
  if (dims.size() == 1) dims.insert(dims.begin(), 1);
  if (dims[0] < 1 || dims[1] < 1 || dims[0] > (1 << 24) || dims[1] > (1 << 24)) {
    Bad(where, "shape " + Excerpt(shape) + " is empty or too large");
  }
  FeatureArray features;
  features.tokens = static_cast<int>(dims[0]);
  features.dim = static_cast<int>(dims[1]);
  const size_t count = static_cast<size_t>(features.tokens) * features.dim;
  const size_t width = float16 ? 2 : 4;
  if (bytes.size() - data_start < count * width) {
    Bad(where, "the data is shorter than shape " + Excerpt(shape) + " needs (a file cut short?)");
  }
  features.values.resize(count);
  const char* data = bytes.data() + data_start;
  if (float16) {
    HalfsToFloats(data, count, features.values.data());
  } else {
    std::memcpy(features.values.data(), data, count * sizeof(float));
  }
  return features;
}

std::string WriteNpyFeatures(const FeatureArray& features, bool float16) {
  std::string header = std::string("{'descr': '") + (float16 ? "<f2" : "<f4") +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(features.tokens) +
                       ", " + std::to_string(features.dim) + "), }";
  // Pad with spaces and end in '\n' so that the data starts at a multiple of 64.
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  for (const float v : features.values) {
    if (float16) {
      const uint16_t h = FloatToHalf(v);
      bytes.append(reinterpret_cast<const char*>(&h), 2);
    } else {
      bytes.append(reinterpret_cast<const char*>(&v), 4);
    }
  }
  return bytes;
}

void FeatureShapeCheck::Check(const FeatureArray& features, const std::string& where) {
  if (tokens_ < 0) {
    tokens_ = features.tokens;
    dim_ = features.dim;
    first_ = where;
    return;
  }
  if (features.tokens != tokens_ || features.dim != dim_) {
    throw ConfigError(SourceLocation{where, 0, 0},
                      "image features [" + std::to_string(features.tokens) + ", " +
                          std::to_string(features.dim) + "], but the first sample (" + first_ +
                          ") has [" + std::to_string(tokens_) + ", " + std::to_string(dim_) +
                          "]: every sample needs the same shape");
  }
}

}  // namespace florenz::data
