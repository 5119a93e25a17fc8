// The summed Huber objective of the additive law (huber_fit.h) and its gradient, evaluated in
// one pass over the points in blocks the compiler vectorises: the points are stored by variable
// (structure of arrays) and padded to whole blocks, exp and log are branch-free polynomials, and
// the per-point loop is compiled for AVX-512, AVX2 + FMA and baseline x86-64, chosen once at run
// time (the build itself targets any x86-64; other architectures get the portable loop only).
// The AVX2 and AVX-512 loops fuse multiply-adds and the baseline does not, so the last bits of
// the objective may differ between CPUs; on one CPU it depends on nothing but the parameters.
#pragma once

#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

class SummedHuberObjective {
 public:
  // Precomputes log x and log y of `data` (positive values: CheckFitData).
  SummedHuberObjective(const FitData& data, bool has_irreducible, double huber_delta);

  // [e (if fitted), a_1, α_1, a_2, α_2, …], as in huber_fit.cc.
  int NumParameters() const { return has_e_ + 2 * k_; }

  // Σ Huber_δ(LSE(e, a_j − α_j log x_ji) − log y_i) at p, and its gradient if `gradient` is not
  // null. Non-finite parameters or an overflowing law give a non-finite result. Allocates
  // nothing; thread-safe (const).
  double Evaluate(const double* p, double* gradient) const;

  // The instruction set the per-point loop runs with: "avx512", "avx2" or "baseline" (the best
  // this CPU has, unless UseIsa chose another).
  static const char* Isa();
  // For tests: run the named loop from now on, process-wide (not while objectives are being
  // evaluated). False, and nothing changes, if the name is unknown or the CPU lacks it.
  static bool UseIsa(const char* isa);

 private:
  int k_, n_, padded_;
  bool has_e_;
  double delta_;
  std::vector<double> log_x_;   // [j * padded_ + i]
  std::vector<double> log_y_;   // [i], padding 0
  std::vector<double> weight_;  // 1 for a point, 0 for padding
};

// The kernel's exp (for x <= 0; below −708 it returns exp(−708)) and log (for s >= 1), exposed for
// the accuracy test. Both are within a few ulp of std::exp / std::log on their domains.
double SimdExpNonPositive(double x);
double SimdLogAtLeastOne(double s);

}  // namespace florenz
