// RunFit: what `florenz fit` does between reading the points and printing: fit the chosen law,
// derive compute-optimal exponents, bootstrap intervals, predictions with intervals, and the
// held-out check (fit without the k largest-compute runs, report the error of predicting them).
// Every law is reduced to a parameter vector and an evaluator, so these steps are shared.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fitting/bnsl_fit.h"
#include "fitting/fit_data.h"
#include "fitting/huber_fit.h"
#include "fitting/isoflop.h"

namespace florenz {

enum class Law {
  kLogLinear,  // log10 y = β0 + Σ βj log10 xj (OLS)
  kAdditive,   // y = E + Σ Aj / xj^αj (Huber, Ceres)
  kCompute,    // y = [E +] a C^b on the Pareto frontier
  kIsoflop,    // parabola per budget, N_opt(C) = G C^a
  kBnsl,       // y = E + A/N^α + B/D^β (1 + (D/D_b)^(1/f))^(−c f), D_b = k N^g lr^h (Huber)
  kLrOptimum,  // parabola in log lr per width, lr*(width) = G width^a: a learning-rate rule
};
std::string ToString(Law law);
// "loglinear", "additive" (also by its other name, "chinchilla"), "compute", "isoflop", "bnsl",
// "lr-optimum";
// throws ConfigError otherwise.
Law LawFromString(const std::string& text);

struct FitOptions {
  Law law = Law::kLogLinear;
  // Level of every interval. Default 0.95.
  double confidence = 0.95;
  // Compute law only: fit L = E + a C^b instead of L = a C^b. Default false.
  bool with_irreducible = false;
  // The additive fit (and the compute law with E). Default: Hoffmann's grid of starts.
  HuberFitOptions huber;
  IsoflopOptions isoflop;
  // The broken law (fitting/bnsl_fit.h), and the (N, learning rate) points its break is
  // reported at (empty: RunFit takes the data's smallest and largest N at the median rate).
  BnslFitOptions bnsl;
  std::vector<std::pair<double, double>> bnsl_anchors;
  // Bootstrap resamples K; 0 = none (the log-linear law still has its t intervals).
  int bootstrap = 0;
  uint64_t seed = 0;
  // Threads for the starts and the bootstrap; 0 = all cores.
  int threads = 0;
  // Points to predict at: variable name -> value (every variable of the law; for isoflop, C).
  std::vector<std::map<std::string, double>> predict;
  // Held-out check: leave points out, fit on the rest and report the error of predicting
  // them. At most one of: the `holdout` points of largest compute (data.compute, else the
  // product of the variables; 0 = none), every point of size `holdout_size` (data.sizes), or
  // every point of more than `holdout_budget_above` samples (data.samples; 0 = none).
  int holdout = 0;
  std::string holdout_size;
  double holdout_budget_above = 0;
  // With `bootstrap` > 0 the held-out points also get a prediction interval: the law refitted
  // on `bootstrap` resamples of the fitted points (of cells, for seed means), each prediction
  // combined with every log residual of the fit (docs/fitting.md, "Held-out checks").

  bool HasHoldout() const {
    return holdout > 0 || !holdout_size.empty() || holdout_budget_above > 0;
  }
  // "largest:2", "size:m", "budget:>6000", or "" for none.
  std::string HoldoutText() const;
};

// A parameter or derived quantity with whatever intervals apply (NaN when not defined).
struct FitValue {
  std::string name;
  double value = 0;
  double se = std::numeric_limits<double>::quiet_NaN();   // OLS only
  double low = std::numeric_limits<double>::quiet_NaN();  // interval (t or bootstrap)
  double high = std::numeric_limits<double>::quiet_NaN();
  double p = std::numeric_limits<double>::quiet_NaN();  // OLS only
};

struct FitPrediction {
  std::map<std::string, double> at;
  double value = 0;
  double ci_low = std::numeric_limits<double>::quiet_NaN();  // confidence interval (mean)
  double ci_high = std::numeric_limits<double>::quiet_NaN();
  double pi_low = std::numeric_limits<double>::quiet_NaN();  // prediction interval (OLS only)
  double pi_high = std::numeric_limits<double>::quiet_NaN();
};

struct FitHoldout {
  std::string label;
  std::vector<double> x;
  double actual = 0;
  double predicted = 0;
  double relative_error = 0;  // (predicted − actual) / actual
  // Seed means: the cell's seed floor (relative s.e. of its mean; NaN for one seed) and seeds.
  double seed_floor = std::numeric_limits<double>::quiet_NaN();
  int seeds = 0;
  // The prediction interval at the report's confidence (with --bootstrap; NaN otherwise).
  double pi_low = std::numeric_limits<double>::quiet_NaN();
  double pi_high = std::numeric_limits<double>::quiet_NaN();
};

// The broken law (bnsl) at one (N, learning rate) of the data: where its break lies, where the
// loss turns up (NaN: it does not), and whether the break lies outside the fitted D range.
// Held-out points get theirs from the fit without them.
struct FitTurn {
  double n = 0;
  double learning_rate = std::numeric_limits<double>::quiet_NaN();  // NaN: not a variable
  double break_d = 0;
  double turning_d = std::numeric_limits<double>::quiet_NaN();
  bool outside = false;  // the break lies outside the fitted D range [d_low, d_high]
  double d_low = 0, d_high = 0;
  bool held_out = false;
};

struct FitReport {
  Law law = Law::kLogLinear;
  std::string formula;  // e.g. "loss = E + A/N^alpha + B/D^beta"
  std::string source, y_name;
  std::vector<std::string> x_names;  // for isoflop: {"C"} (the evaluator's input)
  int points = 0;                    // points given
  int fitted_points = 0;             // points fitted (frontier, minus holdout)
  std::vector<FitValue> parameters;
  std::vector<FitValue> derived;                                // compute-optimal exponents etc.
  std::string interval_kind;                                    // "t", "bootstrap" or "" (none)
  double confidence = 0.95;                                     // the level of every interval
  double objective = std::numeric_limits<double>::quiet_NaN();  // Huber sum / OLS RSS
  double r2 = std::numeric_limits<double>::quiet_NaN();         // log-space R² where defined
  int bootstrap_resamples = 0, bootstrap_failed = 0;
  std::vector<FitPrediction> predictions;
  std::vector<FitHoldout> holdout;
  std::string holdout_kind;  // FitOptions::HoldoutText()
  double holdout_mean_abs_error = std::numeric_limits<double>::quiet_NaN();
  // With prediction intervals: held-out points inside theirs, and the intervals' mean
  // half-width relative to the prediction.
  int holdout_inside = -1;
  double holdout_mean_half_width = std::numeric_limits<double>::quiet_NaN();
  std::vector<int> frontier;  // indices of the fitted points (compute law)
  // isoflop: each budget's parabola (log L = c0 + c1 log N + c2 (log N)^2), for the plot.
  std::vector<IsoflopBudget> isoflop_budgets;
  std::vector<std::string> notes;  // Ceres report, isoFLOP warnings, dropped rows
  std::vector<FitTurn> turns;      // bnsl: one per (N, learning rate) of the data

  // The fitted law at x (x in x_names order), and the band of the law's mean at x (t or
  // bootstrap interval; {NaN, NaN} when there is none). Used by predictions and plots.
  std::function<double(const std::vector<double>& x)> evaluate;
  std::function<std::pair<double, double>(const std::vector<double>& x)> band;
};

// `--holdout` text (largest, largest:K, size:NAME, budget:>D with D a count such as 6k) into
// `options`; "" sets nothing. ConfigError at "--holdout" otherwise.
void ParseHoldout(const std::string& text, FitOptions* options);
// `--smooth` text: "" -> 1 (the final value), "last:K" -> K. ConfigError at "--smooth" otherwise.
int ParseSmooth(const std::string& text);

// Fits `data` (already loaded and filtered). Every option is checked before any fitting:
// ConfigError for bad input or options; SolverError when the additive fit converges from no
// start (its message quotes Ceres' report).
FitReport RunFit(const FitData& data, const FitOptions& options);

// A fixed-width table for stdout; never prints NaN ("-" instead).
std::string FitReportText(const FitReport& report);
// JSON: law, parameters with intervals, objective, points, r2 where defined, predictions,
// holdout; NaN becomes null.
std::string FitReportJson(const FitReport& report);

}  // namespace florenz
