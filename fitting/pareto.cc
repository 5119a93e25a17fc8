// Pareto frontier of (compute, loss) and the compute law fitted on it (see pareto.h).
#include "fitting/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/errors.h"

namespace florenz {

std::vector<int> ParetoFrontier(const std::vector<double>& compute,
                                const std::vector<double>& loss) {
  std::vector<int> order(compute.size());
  std::iota(order.begin(), order.end(), 0);
  // Equal compute: lower loss first, so only the best of a tie can join the frontier.
  std::stable_sort(order.begin(), order.end(), [&](int i, int j) {
    return compute[i] < compute[j] || (compute[i] == compute[j] && loss[i] < loss[j]);
  });
  std::vector<int> frontier;
  double best = std::numeric_limits<double>::infinity();
  for (const int i : order) {
    if (loss[i] < best) {
      frontier.push_back(i);
      best = loss[i];
    }
  }
  return frontier;
}

double ComputeLawFit::Predict(double compute) const {
  return irreducible + a * std::pow(compute, b);
}

ComputeLawFit FitComputeLaw(const FitData& data, const ComputeLawOptions& options) {
  if (data.variables() != 1) {
    throw ConfigError(SourceLocation{data.source, 0, 0},
                      "the compute law takes one variable, the compute C (--x C)");
  }
  CheckFitData(data, 0, "compute");  // values only; the count is checked on the frontier
  ComputeLawFit fit;
  fit.with_irreducible = options.with_irreducible;
  if (options.frontier_only) {
    fit.frontier = ParetoFrontier(data.x[0], data.y);
  } else {
    fit.frontier.resize(data.size());
    std::iota(fit.frontier.begin(), fit.frontier.end(), 0);
  }
  FitData points = data.Subset(fit.frontier);
  if (options.with_irreducible) {
    fit.additive = FitAdditive(points, options.huber);
    fit.irreducible = fit.additive.irreducible;
    fit.a = fit.additive.coefficient[0];
    fit.b = -fit.additive.exponent[0];
  } else {
    fit.loglinear = FitLogLinear(points, options.loglinear);
    fit.a = std::pow(10.0, fit.loglinear.coef(0));
    fit.b = fit.loglinear.coef(1);
  }
  return fit;
}

}  // namespace florenz
