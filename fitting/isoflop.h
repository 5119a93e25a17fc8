// IsoFLOP analysis (Hoffmann et al. 2022, approach 2): for each compute budget, a parabola
//   log L = c0 + c1 x + c2 x²,  x = log N,
// whose minimum x* = −c1 / (2 c2) is the compute-optimal model size N_opt(C) = exp(x*); then
// N_opt(C) = G · C^a fitted across budgets by log-log OLS. A minimum outside the sizes trained
// at that budget is an extrapolation, and is reported as such (`interior`).
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_data.h"
#include "fitting/loglinear_fit.h"

namespace florenz {

struct IsoflopOptions {
  // Points whose compute differs by less than this relative amount share a budget. Default 1e-6
  // (budgets are usually exact: the grid is built on them).
  double budget_tolerance = 1e-6;
  // Budgets whose minimum is not interior are left out of the N_opt(C) fit (and listed).
  // Default true; false keeps them.
  bool require_interior = true;
};

struct IsoflopBudget {
  double compute = 0;
  int points = 0;
  double c0 = 0, c1 = 0, c2 = 0;  // log L = c0 + c1 log N + c2 (log N)²
  double n_opt = 0;               // exp(−c1 / (2 c2)); NaN-free only when c2 > 0
  double loss_at_opt = 0;
  bool interior = false;  // c2 > 0 and min N < n_opt < max N at this budget
};

struct IsoflopFit {
  std::vector<IsoflopBudget> budgets;  // ascending compute; every budget with >= 3 sizes
  std::vector<std::string> warnings;   // budgets skipped or not interior
  double g = 0;                        // N_opt(C) = g · C^a
  double a = 0;
  LogLinearFit n_opt_fit;  // log10 N_opt on log10 C

  double NOpt(double compute) const;
};

// The parabola of every budget with 3 or more sizes (ascending compute); what is skipped or not
// interior goes to `warnings`. The first step of FitIsoflop, and of the learning-rate sweep
// (`--law lr-optimum`, with the rate as N and the width as C).
std::vector<IsoflopBudget> FitParabolas(const FitData& data, const IsoflopOptions& options,
                                        std::vector<std::string>* warnings);

// `data` has two variables, N and C (in either order; named "N" and "C", else N first).
// Throws ConfigError when fewer than 2 budgets have an interior minimum (or 3 sizes).
IsoflopFit FitIsoflop(const FitData& data, const IsoflopOptions& options = {});

}  // namespace florenz
