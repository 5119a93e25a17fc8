// L-BFGS (Nocedal & Wright, Algorithm 7.4, H0 = γI with γ = sᵀy / yᵀy) with the strong-Wolfe
// line search of their Algorithms 3.5 and 3.6 (bracketing, then zoom by safeguarded cubic
// interpolation), on fixed-size arrays.
#include "fitting/lbfgs_search.h"

#include <algorithm>
#include <cmath>

namespace florenz {
namespace {

constexpr double kSufficientDecrease = 1e-4;  // c1
constexpr double kCurvature = 0.9;            // c2
constexpr int kMaxLineSearchEvaluations = 30;
constexpr double kStepExpansion = 4.0;

// A trial point on the search line: step, cost and directional derivative gᵀd.
struct LinePoint {
  double step, cost, slope;
};

double Dot(const double* a, const double* b, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

double MaxAbs(const double* a, int n) {
  double m = 0;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i]));
  return m;
}

// The minimiser of the cubic through lo and hi (values and slopes), kept within the middle 80%
// of the interval; 10% of the way from lo when hi's cost is not finite (an overshoot), the
// midpoint when the cubic has no minimiser there.
double Interpolate(const LinePoint& lo, const LinePoint& hi) {
  const double width = hi.step - lo.step;
  if (!std::isfinite(hi.cost) || !std::isfinite(hi.slope)) return lo.step + 0.1 * width;
  double step = lo.step + 0.5 * width;
  const double d1 = lo.slope + hi.slope - 3.0 * (lo.cost - hi.cost) / (lo.step - hi.step);
  const double discriminant = d1 * d1 - lo.slope * hi.slope;
  if (discriminant >= 0) {
    const double d2 = std::copysign(std::sqrt(discriminant), width);
    const double denominator = hi.slope - lo.slope + 2.0 * d2;
    if (denominator != 0) {
      const double cubic = hi.step - width * (hi.slope + d2 - d1) / denominator;
      if (std::isfinite(cubic)) step = cubic;
    }
  }
  const double a = lo.step + 0.1 * width, b = hi.step - 0.1 * width;
  return std::min(std::max(step, std::min(a, b)), std::max(a, b));
}

}  // namespace

LbfgsSummary MinimizeLbfgs(const SummedHuberObjective& objective, const LbfgsOptions& options,
                           double* p) {
  constexpr int kN = kLbfgsMaxParameters;
  const int n = objective.NumParameters();
  const int memory = std::min(std::max(options.memory, 1), kLbfgsMaxMemory);
  double g[kN], d[kN], x_trial[kN], g_trial[kN], x_lo[kN], g_lo[kN];
  double s[kLbfgsMaxMemory][kN], y[kLbfgsMaxMemory][kN], rho[kLbfgsMaxMemory], a[kLbfgsMaxMemory];
  int stored = 0, newest = -1;

  LbfgsSummary summary;
  double f = objective.Evaluate(p, g);
  ++summary.evaluations;
  if (!std::isfinite(f)) return summary;
  summary.usable = true;
  summary.cost = f;
  if (MaxAbs(g, n) <= options.gradient_tolerance) {
    summary.converged = true;
    return summary;
  }

  // f and gᵀd at p + step·d; the point and gradient are left in x_trial, g_trial.
  auto evaluate = [&](double step) {
    for (int i = 0; i < n; ++i) x_trial[i] = p[i] + step * d[i];
    const double cost = objective.Evaluate(x_trial, g_trial);
    ++summary.evaluations;
    return LinePoint{step, cost, std::isfinite(cost) ? Dot(g_trial, d, n) : NAN};
  };

  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    // Direction: d = −H g by the two-loop recursion over the stored pairs, newest first.
    for (int i = 0; i < n; ++i) d[i] = -g[i];
    for (int m = 0; m < stored; ++m) {
      const int at = (newest - m + memory) % memory;
      a[at] = rho[at] * Dot(s[at], d, n);
      for (int i = 0; i < n; ++i) d[i] -= a[at] * y[at][i];
    }
    if (stored > 0) {
      const double gamma = Dot(s[newest], y[newest], n) / Dot(y[newest], y[newest], n);
      for (int i = 0; i < n; ++i) d[i] *= gamma;
    }
    for (int m = stored - 1; m >= 0; --m) {
      const int at = (newest - m + memory) % memory;
      const double b = rho[at] * Dot(y[at], d, n);
      for (int i = 0; i < n; ++i) d[i] += (a[at] - b) * s[at][i];
    }
    double slope0 = Dot(g, d, n);
    if (!(slope0 < 0)) {  // not a descent direction (rounding): restart from steepest descent
      stored = 0;
      for (int i = 0; i < n; ++i) d[i] = -g[i];
      slope0 = -Dot(g, g, n);
      if (!(slope0 < 0)) break;
    }

    // Strong-Wolfe line search. `lo` always satisfies sufficient decrease and has the lowest
    // cost seen (step 0: the current point); `hi` brackets a minimiser with it once found.
    LinePoint lo{0.0, f, slope0}, hi{0.0, 0.0, 0.0};
    auto accept = [&](const LinePoint& t) {
      lo = t;
      std::copy(x_trial, x_trial + n, x_lo);
      std::copy(g_trial, g_trial + n, g_lo);
    };
    auto sufficient = [&](const LinePoint& t) {
      return std::isfinite(t.cost) && t.cost <= f + kSufficientDecrease * t.step * slope0 &&
             t.cost < lo.cost;
    };
    const double curvature = -kCurvature * slope0;
    bool wolfe = false, bracketed = false;
    int evaluations = 0;
    double step = stored > 0 ? 1.0 : std::min(1.0, 1.0 / MaxAbs(g, n));
    while (evaluations < kMaxLineSearchEvaluations) {
      const LinePoint t = evaluate(step);
      ++evaluations;
      if (!sufficient(t)) {
        hi = t;
        bracketed = true;
        break;
      }
      const LinePoint previous = lo;
      accept(t);
      if (std::fabs(t.slope) <= curvature) {
        wolfe = true;
        break;
      }
      if (t.slope >= 0) {
        hi = previous;
        bracketed = true;
        break;
      }
      step *= kStepExpansion;
    }
    while (bracketed && !wolfe && evaluations < kMaxLineSearchEvaluations) {
      step = Interpolate(lo, hi);
      if (!(std::fabs(step - lo.step) > 1e-15 * std::fabs(lo.step) + 1e-300)) break;
      const LinePoint t = evaluate(step);
      ++evaluations;
      if (!sufficient(t)) {
        hi = t;
        continue;
      }
      if (std::fabs(t.slope) <= curvature) {
        accept(t);
        wolfe = true;
        break;
      }
      if (t.slope * (hi.step - lo.step) >= 0) hi = lo;
      accept(t);
    }
    if (lo.step == 0.0) break;  // no decrease along d: the current point stands
    ++summary.iterations;

    // The new correction pair (kept only if it preserves positive definiteness).
    const int next = (newest + 1) % memory;
    double sy = 0, step_norm2 = 0, x_norm2 = 0;
    for (int i = 0; i < n; ++i) {
      s[next][i] = x_lo[i] - p[i];
      y[next][i] = g_lo[i] - g[i];
      sy += s[next][i] * y[next][i];
      step_norm2 += s[next][i] * s[next][i];
      x_norm2 += p[i] * p[i];
    }
    if (sy > 1e-300) {
      rho[next] = 1.0 / sy;
      newest = next;
      stored = std::min(stored + 1, memory);
    }
    const double cost_change = f - lo.cost;
    const double previous_cost = f;
    std::copy(x_lo, x_lo + n, p);
    std::copy(g_lo, g_lo + n, g);
    f = lo.cost;
    summary.cost = f;
    if (MaxAbs(g, n) <= options.gradient_tolerance ||
        std::sqrt(step_norm2) <=
            (std::sqrt(x_norm2) + options.parameter_tolerance) * options.parameter_tolerance ||
        std::fabs(cost_change) <= options.function_tolerance * std::fabs(previous_cost)) {
      summary.converged = true;
      break;
    }
  }
  return summary;
}

}  // namespace florenz
