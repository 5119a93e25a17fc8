// The additive law, Chinchilla's form (Hoffmann et al. 2022, approach 3):
//   y = E + Σj Aj / xj^αj        (two variables: L = E + A/N^α + B/D^β),
// fitted on log y through the log-sum-exp parameterisation
//   r_i = LSE(e, a_1 − α_1 log x_1i, …) − log y_i,   E = exp(e), Aj = exp(a_j),
// minimising the SUM (not the mean: Besiroglu et al. 2024) of Huber(δ) terms from a grid of
// starts run in parallel (L-BFGS on a vectorised objective), the best few polished by Ceres'
// Levenberg–Marquardt; the start with the lowest polished objective wins. One variable gives
// the single-variable laws L(N), L(D) and the compute law L = E + A/C^α.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

struct HuberFitOptions {
  // Huber threshold on log-space residuals. Default 1e-3 (Hoffmann et al.).
  double huber_delta = 1e-3;
  // Start values of every exponent αj. Default {0, 0.5, …, 2}.
  std::vector<double> exponent_starts = {0, 0.5, 1, 1.5, 2};
  // Start values of e = log E. Default {−1, −0.5, …, 1}.
  std::vector<double> log_irreducible_starts = {-1, -0.5, 0, 0.5, 1};
  // Start values of every aj = log Aj. Default {0, 5, …, 25}.
  // With two variables the defaults give Hoffmann's 5·5·5·6·6 = 4,500 starts.
  std::vector<double> log_coefficient_starts = {0, 5, 10, 15, 20, 25};
  // Explicit starts, each in the layout [e (if fitted), a_1, α_1, a_2, α_2, …]. If non-empty,
  // they replace the grid (the bootstrap starts each resample from the full-data fit).
  std::vector<std::vector<double>> starts;
  // Fit the irreducible term E. If false the law is Σj Aj / xj^αj.
  bool fit_irreducible = true;
  // Worker threads for the starts; 0 = std::thread::hardware_concurrency().
  int threads = 0;
  // Search phase: from every start, at most `search_max_iterations` L-BFGS iterations
  // (fitting/lbfgs_search.h, strong-Wolfe line search) on the summed objective with function and
  // parameter tolerance `search_tolerance` (gradient: 1e-2 of it). Most starts only need to show
  // which basin they fall into. Defaults 100, 1e-8.
  int search_max_iterations = 100;
  double search_tolerance = 1e-8;
  // Polish phase: the `polish_best` lowest-objective starts (default 10; ties in the search
  // objective go to the lower start index) continue from their search result, first with
  // L-BFGS and then with Ceres' Levenberg–Marquardt (Huber loss per residual), both under the
  // tight limits below; the lowest objective whose Levenberg–Marquardt run converged wins (ties:
  // the start ranked first by the search). The result does not depend on `threads`.
  int polish_best = 10;
  // Limits of the polish (both stages). The tolerances are tight so that noise-free data is
  // recovered to ~1e-9: a scaling law is extrapolated, and slack in the exponents grows with
  // distance.
  int max_iterations = 500;
  double function_tolerance = 1e-15;
  double gradient_tolerance = 1e-15;
  double parameter_tolerance = 1e-14;
  // If false, skip CheckFitData (the caller did: bootstrap resamples).
  bool check_input = true;

  // The number of starts the grids give for `variables` variables.
  int StartCount(int variables) const;
  // False (with a reason) for an empty grid, δ <= 0, or limits <= 0.
  bool IsValid(std::string* error) const;
};

struct AdditiveFit {
  std::vector<std::string> x_names;  // the variables, as in FitData
  bool has_irreducible = true;
  double irreducible = 0;           // E (0 when !has_irreducible)
  std::vector<double> coefficient;  // Aj
  std::vector<double> exponent;     // αj
  double objective = 0;             // Σ Huber_δ(r_i) at the solution
  int n = 0;                        // points
  int starts = 0;                   // starts tried
  int converged_starts = 0;         // starts whose search met its tolerances
  int best_start = -1;              // index of the winning start
  std::string ceres_report;         // Ceres' BriefReport() of the winning start's polish

  // E + Σ Aj / xj^αj at x (one value per variable).
  double Predict(const std::vector<double>& x) const;
  // Parameters in a fixed order, for tables and the bootstrap: E (if fitted), then A1, α1, A2, α2…
  std::vector<double> Parameters() const;
  std::vector<std::string> ParameterNames() const;
  // The solution in the solver's layout [e, a_1, α_1, …], usable as an explicit start.
  std::vector<double> LogParameters() const;
};

// Fits the additive law. Throws ConfigError for bad input (CheckFitData) or invalid options, and
// SolverError when no polish converged (a run-time failure, exit code 1: the message includes
// Ceres' BriefReport of the first failed polish). Leaves glog's settings as the caller set them.
AdditiveFit FitAdditive(const FitData& data, const HuberFitOptions& options = {});

// Σ Huber_δ(LSE(…) − log y_i) for the given law on `data` — the objective FitAdditive minimises
// (also what bench/fit_vs_scipy compares).
double HuberObjective(const AdditiveFit& law, const FitData& data, double huber_delta);

}  // namespace florenz
