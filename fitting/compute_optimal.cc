// Closed-form compute-optimal N and D of an additive law (see compute_optimal.h).
#include "fitting/compute_optimal.h"

#include <cmath>

#include "core/errors.h"

namespace florenz {

double ComputeOptimal::NOpt(double c) const { return g * std::pow(c / flops_per_param_sample, a); }
double ComputeOptimal::DOpt(double c) const { return std::pow(c / flops_per_param_sample, b) / g; }

ComputeOptimal ComputeOptimalAllocation(const AdditiveFit& law, int n_index, int d_index,
                                        double flops_per_param_sample) {
  const int k = static_cast<int>(law.exponent.size());
  if (n_index < 0 || d_index < 0 || n_index >= k || d_index >= k || n_index == d_index) {
    throw ConfigError(SourceLocation{},
                      "compute-optimal allocation needs a law in both N and D (--x N,D)");
  }
  const double alpha = law.exponent[n_index], beta = law.exponent[d_index];
  const double big_a = law.coefficient[n_index], big_b = law.coefficient[d_index];
  if (!(alpha > 0 && beta > 0 && big_a > 0 && big_b > 0)) {
    throw ConfigError(SourceLocation{}, "compute-optimal allocation needs alpha, beta > 0 (got " +
                                            std::to_string(alpha) + ", " + std::to_string(beta) +
                                            "): loss does not fall with both N and D");
  }
  ComputeOptimal opt;
  opt.flops_per_param_sample = flops_per_param_sample;
  opt.a = beta / (alpha + beta);
  opt.b = alpha / (alpha + beta);
  opt.g = std::pow(alpha * big_a / (beta * big_b), 1.0 / (alpha + beta));
  return opt;
}

}  // namespace florenz
