// The compute law on the Pareto frontier of (compute, loss), the Florenz paper's Figure-1 law:
//   L = a · C^b            (log-linear OLS on the frontier points), or
//   L = E + a · C^b        (additive Huber fit on the frontier, b = −α),
// where the frontier is the set of runs that no cheaper-or-equal run beats.
#pragma once

#include <vector>

#include "fitting/huber_fit.h"
#include "fitting/loglinear_fit.h"

namespace florenz {

// Indices of the points on the lower-left frontier: sorted by compute ascending, each point whose
// loss is strictly below every point of lower or equal compute.
std::vector<int> ParetoFrontier(const std::vector<double>& compute,
                                const std::vector<double>& loss);

struct ComputeLawOptions {
  // Fit L = E + a·C^b instead of L = a·C^b. Default false (the paper's form).
  bool with_irreducible = false;
  // Fit only the frontier points. Default true; false fits every point.
  bool frontier_only = true;
  LogLinearOptions loglinear;
  // Used when with_irreducible (the single-variable grid: 5 × 6 × 5 = 150 starts).
  HuberFitOptions huber;
};

struct ComputeLawFit {
  std::vector<int> frontier;  // indices into the input points that were fitted
  bool with_irreducible = false;
  double a = 0;  // L = [E +] a · C^b
  double b = 0;
  double irreducible = 0;  // E (0 without it)
  LogLinearFit loglinear;  // the fit, when !with_irreducible
  AdditiveFit additive;    // the fit, when with_irreducible

  double Predict(double compute) const;
};

// `data` must have one variable, the compute C. Throws ConfigError for bad input, or fewer
// frontier points than parameters + 1.
ComputeLawFit FitComputeLaw(const FitData& data, const ComputeLawOptions& options = {});

}  // namespace florenz
