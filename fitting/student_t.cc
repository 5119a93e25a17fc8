// Student's t CDF through the regularized incomplete beta function I_x(a, b) (continued fraction,
// modified Lentz), and its quantile by bisection on the CDF: exact to double precision and fast
// enough for the few calls a fit makes.
#include "fitting/student_t.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace florenz {
namespace {

// Continued fraction for I_x(a, b), valid for x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

// I_x(a, b), the regularized incomplete beta function.
double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) {
    return std::exp(log_front) * BetaContinuedFraction(a, b, x) / a;
  }
  return 1.0 - std::exp(log_front) * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

}  // namespace

double StudentTTwoSidedP(double t, double dof) {
  if (std::isnan(t) || !(dof > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return 0.0;
  return RegularizedIncompleteBeta(0.5 * dof, 0.5, dof / (dof + t * t));
}

double StudentTCdf(double t, double dof) {
  const double tail = 0.5 * StudentTTwoSidedP(t, dof);
  return t >= 0 ? 1.0 - tail : tail;
}

double StudentTQuantile(double q, double dof) {
  if (!(q > 0.0 && q < 1.0) || !(dof > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (q == 0.5) return 0.0;
  // Bracket, then bisect: the CDF is monotone and each evaluation is cheap.
  double lo = -1.0, hi = 1.0;
  while (StudentTCdf(lo, dof) > q) lo *= 2.0;
  while (StudentTCdf(hi, dof) < q) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15 * std::max(1.0, std::fabs(hi)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (StudentTCdf(mid, dof) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace florenz
