// The vectorised summed Huber objective (huber_objective.h). Per point: z_t = e or a_j − α_j x_j,
// m = max z, r = m + log Σ exp(z_t − m) − log y; the max term's exp is exactly 1, so the sum is in
// [1, terms] and the exp only sees arguments <= 0. The loop runs over blocks of kBlock points
// with fixed-length inner loops (one SIMD register of doubles on AVX-512), the same source
// compiled three times under different target attributes.
#include "fitting/huber_objective.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace florenz {
namespace {

constexpr int kBlock = 32;
constexpr int kMaxVariables = 8;
constexpr int kMaxTerms = kMaxVariables + 1;
constexpr int kMaxParameters = 2 * kMaxVariables + 1;

#if defined(__GNUC__) || defined(__clang__)
#define FLORENZ_INLINE __attribute__((always_inline)) inline
#else
#define FLORENZ_INLINE inline
#endif

FLORENZ_INLINE std::uint64_t Bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

FLORENZ_INLINE double FromBits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// exp(x) for x <= 0 (x >= −708 after clamping, so the result is a normal double): x = n ln2 + r
// with |r| <= ln2/2 (n by the round-to-nearest shift trick), exp(r) by its Taylor polynomial of
// degree 12 (truncation < 2e-17 relative), scaled by 2^n built in the exponent bits.
FLORENZ_INLINE double ExpNonPositive(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // fdlibm: n * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 0x1.8p52;
  x = x > -708.0 ? x : -708.0;
  const double shifted = x * kLog2e + kShift;
  const double n = shifted - kShift;
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  double q = 1.0 / 479001600.0;  // 1/12!
  q = q * r + 1.0 / 39916800.0;
  q = q * r + 1.0 / 3628800.0;
  q = q * r + 1.0 / 362880.0;
  q = q * r + 1.0 / 40320.0;
  q = q * r + 1.0 / 5040.0;
  q = q * r + 1.0 / 720.0;
  q = q * r + 1.0 / 120.0;
  q = q * r + 1.0 / 24.0;
  q = q * r + 1.0 / 6.0;
  q = q * r + 0.5;
  q = q * r + 1.0;
  q = q * r + 1.0;
  // The low bits of `shifted` hold n (two's complement); shifting n + 1023 into the exponent.
  const double scale = FromBits((Bits(shifted) + 1023) << 52);
  return q * scale;
}

// log(s) for s >= 1 (finite): s = 2^k m with m in [0.707, 1.414) (the mantissa folded around √2
// by integer arithmetic, musl's trick), log m = 2 atanh(f), f = (m − 1)/(m + 1), |f| <= 0.172,
// by its series to f^21 (truncation < 1e-17 relative).
FLORENZ_INLINE double LogAtLeastOne(double s) {
  constexpr std::uint64_t kOffset = 0x3fe6a09e667f3bcdULL;  // bits of √½
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const std::uint64_t bits = Bits(s);
  const std::uint64_t shifted = bits - kOffset;  // no borrow: s >= 1 > √½
  const std::uint64_t k = shifted >> 52;
  const double m = FromBits(bits - (k << 52));
  const double kd = FromBits(0x4330000000000000ULL | k) - 0x1p52;  // k as a double
  const double f = (m - 1.0) / (m + 1.0);
  const double f2 = f * f;
  double q = 1.0 / 21;
  q = q * f2 + 1.0 / 19;
  q = q * f2 + 1.0 / 17;
  q = q * f2 + 1.0 / 15;
  q = q * f2 + 1.0 / 13;
  q = q * f2 + 1.0 / 11;
  q = q * f2 + 1.0 / 9;
  q = q * f2 + 1.0 / 7;
  q = q * f2 + 1.0 / 5;
  q = q * f2 + 1.0 / 3;
  const double log_m = 2.0 * f + 2.0 * f * f2 * q;
  return kd * kLn2Hi + (kd * kLn2Lo + log_m);
}

struct KernelInput {
  int k, padded;
  bool has_e;
  double delta;
  const double* log_x;
  const double* log_y;
  const double* weight;
};

// The whole objective (and gradient) over the padded points. Lanes accumulate separately and
// are summed in a fixed order at the end, so the result does not depend on anything but p.
template <bool kGradient>
FLORENZ_INLINE double Kernel(const KernelInput& in, const double* p, double* gradient) {
  const int k = in.k, e = in.has_e ? 1 : 0, terms = e + k;
  const double delta = in.delta;
  double cost[kBlock] = {};
  double grad[kMaxParameters][kBlock] = {};
  double z[kMaxTerms][kBlock], m[kBlock], s[kBlock], dh[kBlock];
  for (int i0 = 0; i0 < in.padded; i0 += kBlock) {
    if (e) {
      for (int l = 0; l < kBlock; ++l) z[0][l] = p[0];
    }
    for (int j = 0; j < k; ++j) {
      const double a = p[e + 2 * j], alpha = p[e + 2 * j + 1];
      const double* x = in.log_x + static_cast<long>(j) * in.padded + i0;
      for (int l = 0; l < kBlock; ++l) z[e + j][l] = a - alpha * x[l];
    }
    for (int l = 0; l < kBlock; ++l) m[l] = z[0][l];
    for (int t = 1; t < terms; ++t) {
      for (int l = 0; l < kBlock; ++l) m[l] = z[t][l] > m[l] ? z[t][l] : m[l];
    }
    for (int l = 0; l < kBlock; ++l) s[l] = 0.0;
    for (int t = 0; t < terms; ++t) {
      for (int l = 0; l < kBlock; ++l) {
        z[t][l] = ExpNonPositive(z[t][l] - m[l]);
        s[l] += z[t][l];
      }
    }
    const double* log_y = in.log_y + i0;
    const double* weight = in.weight + i0;
    for (int l = 0; l < kBlock; ++l) {
      const double r = m[l] + LogAtLeastOne(s[l]) - log_y[l];
      const double abs_r = std::fabs(r);
      cost[l] += weight[l] * (abs_r <= delta ? 0.5 * r * r : delta * (abs_r - 0.5 * delta));
      if (kGradient) {
        const double clipped = r < -delta ? -delta : (r > delta ? delta : r);
        dh[l] = weight[l] * clipped / s[l];
      }
    }
    if (kGradient) {
      if (e) {
        for (int l = 0; l < kBlock; ++l) grad[0][l] += dh[l] * z[0][l];
      }
      for (int j = 0; j < k; ++j) {
        const double* x = in.log_x + static_cast<long>(j) * in.padded + i0;
        double* ga = grad[e + 2 * j];
        double* galpha = grad[e + 2 * j + 1];
        for (int l = 0; l < kBlock; ++l) {
          const double u = dh[l] * z[e + j][l];
          ga[l] += u;
          galpha[l] -= u * x[l];
        }
      }
    }
  }
  double total = 0;
  for (int l = 0; l < kBlock; ++l) total += cost[l];
  if (kGradient) {
    for (int q = 0; q < e + 2 * k; ++q) {
      double g = 0;
      for (int l = 0; l < kBlock; ++l) g += grad[q][l];
      gradient[q] = g;
    }
  }
  return total;
}

using KernelFunction = double (*)(const KernelInput&, const double*, double*);

double KernelBaseline(const KernelInput& in, const double* p, double* gradient) {
  return gradient != nullptr ? Kernel<true>(in, p, gradient) : Kernel<false>(in, p, nullptr);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FLORENZ_X86_DISPATCH 1
__attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512"))) double
KernelAvx512(const KernelInput& in, const double* p, double* gradient) {
  return gradient != nullptr ? Kernel<true>(in, p, gradient) : Kernel<false>(in, p, nullptr);
}

__attribute__((target("avx2,fma"))) double KernelAvx2(const KernelInput& in, const double* p,
                                                      double* gradient) {
  return gradient != nullptr ? Kernel<true>(in, p, gradient) : Kernel<false>(in, p, nullptr);
}
#endif

struct Dispatch {
  KernelFunction kernel;
  const char* isa;
};

// The loops this CPU can run, best first.
const std::vector<Dispatch>& Available() {
  static const std::vector<Dispatch> available = [] {
    std::vector<Dispatch> loops;
#ifdef FLORENZ_X86_DISPATCH
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl")) {
      loops.push_back({KernelAvx512, "avx512"});
    }
    if (avx2) loops.push_back({KernelAvx2, "avx2"});
#endif
    loops.push_back({KernelBaseline, "baseline"});
    return loops;
  }();
  return available;
}

std::atomic<const Dispatch*>& Chosen() {
  static std::atomic<const Dispatch*> chosen{&Available().front()};
  return chosen;
}

}  // namespace

SummedHuberObjective::SummedHuberObjective(const FitData& data, bool has_irreducible,
                                           double huber_delta)
    : k_(data.variables()),
      n_(data.size()),
      padded_((data.size() + kBlock - 1) / kBlock * kBlock),
      has_e_(has_irreducible),
      delta_(huber_delta),
      log_x_(static_cast<size_t>(k_) * padded_, 0.0),
      log_y_(padded_, 0.0),
      weight_(padded_, 0.0) {
  for (int i = 0; i < n_; ++i) {
    for (int j = 0; j < k_; ++j)
      log_x_[static_cast<size_t>(j) * padded_ + i] = std::log(data.x[j][i]);
    log_y_[i] = std::log(data.y[i]);
    weight_[i] = 1.0;
  }
}

double SummedHuberObjective::Evaluate(const double* p, double* gradient) const {
  const int size = NumParameters();
  for (int q = 0; q < size; ++q) {
    if (!std::isfinite(p[q])) return std::numeric_limits<double>::quiet_NaN();
  }
  const KernelInput in{k_, padded_, has_e_, delta_, log_x_.data(), log_y_.data(), weight_.data()};
  return Chosen().load(std::memory_order_relaxed)->kernel(in, p, gradient);
}

const char* SummedHuberObjective::Isa() { return Chosen().load()->isa; }

bool SummedHuberObjective::UseIsa(const char* isa) {
  for (const Dispatch& loop : Available()) {
    if (std::strcmp(loop.isa, isa) == 0) {
      Chosen().store(&loop);
      return true;
    }
  }
  return false;
}

double SimdExpNonPositive(double x) { return ExpNonPositive(x); }
double SimdLogAtLeastOne(double s) { return LogAtLeastOne(s); }

}  // namespace florenz
