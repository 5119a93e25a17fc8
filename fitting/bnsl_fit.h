// A broken neural scaling law (Caballero et al. 2023, one break): a smoothly broken power law in
// D whose break moves with N (and, optionally, the learning rate),
//   y = E + A·N^−α + B·D^−β·(1 + (D/D_b)^(1/f))^(−c·f),   D_b = k·N^g·lr^h,
// fitted like the additive law (huber_fit.h): Huber(δ) on log y, summed, from a grid of starts
// run in parallel, each by Ceres' Levenberg–Marquardt. After the break the log-log slope in D is
// −(β + c); c < −β turns the curve up (over-training, repeated data), and TurningD says where.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

struct BnslFitOptions {
  // Huber threshold on log-space residuals. Default 1e-3, as for the additive law.
  double huber_delta = 1e-3;
  // Explicit starts in the solver's layout (BnslFit::SolverParameters: [e, a, α, b, β, c, φ, κ, g,
  // h (with a learning rate)]). If non-empty they replace the grid built from the data (the
  // bootstrap starts each resample from the full-data fit).
  std::vector<std::vector<double>> starts;
  // Worker threads for the starts; 0 = std::thread::hardware_concurrency(). The result does not
  // depend on it.
  int threads = 0;
  // Levenberg–Marquardt limits of each start. Defaults 200 iterations and function / gradient /
  // parameter tolerances 1e-12 / 1e-12 / 1e-10 (Ceres' meanings), tight enough that noise-free
  // data is recovered to ~1e-6 or better.
  int max_iterations = 200;
  double function_tolerance = 1e-12;
  double gradient_tolerance = 1e-12;
  double parameter_tolerance = 1e-10;
  // If false, skip CheckFitData (the caller did: bootstrap resamples).
  bool check_input = true;

  // False (with a reason) for δ <= 0, limits <= 0, threads < 0 or explicit starts that differ in
  // size.
  bool IsValid(std::string* error) const;
};

struct BnslFit {
  std::vector<std::string> x_names;  // the variables, as in FitData ("N", "D", [learning rate])
  bool has_learning_rate = false;    // a third variable "learning_rate" or "lr"
  double E = 0;                      // irreducible term, > 0
  double A = 0;                      // N term: A·N^−α, A > 0
  double alpha = 0;                  // exponent of N
  double B = 0;                      // D term before the break: B·D^−β, B > 0
  double beta = 0;                   // exponent of D before the break
  double c = 0;              // change of the D slope across the break (−(β + c) after it)
  double f = 0;              // width of the break in log D, > 0 (smaller: sharper; |log f| < 50)
  double k = 0;              // D_b = k·N^g·lr^h, k > 0
  double g = 0;              // how the break moves with N
  double h = 0;              // how the break moves with the learning rate; 0 without one
  double objective = 0;      // Σ Huber_δ(r_i) at the solution (Ceres' final cost)
  int n = 0;                 // points
  int starts = 0;            // starts tried
  int converged_starts = 0;  // starts whose Levenberg–Marquardt met its tolerances
  int best_start = -1;       // index of the winning start
  std::string ceres_report;  // Ceres' BriefReport() of the winning start

  // y at x (one value per variable, in x_names order).
  double Predict(const std::vector<double>& x) const;
  // Parameters in a fixed order, for tables and the bootstrap: E, A, alpha, B, beta, c, f, k, g
  // and h with a learning rate.
  std::vector<double> Parameters() const;
  std::vector<std::string> ParameterNames() const;
  // The solution in the solver's layout [log E, log A, α, log B, β, c, log f, log k, g, (h)],
  // usable as an explicit start.
  std::vector<double> SolverParameters() const;
  // The break D_b = k·n^g·lr^h.
  double BreakD(double n, double lr = 1) const;
  // The D at which y is lowest when the curve turns up (β > 0 and c < −β: the slope of the D term
  // in log D, −β − c·σ((log D − log D_b)/f), crosses zero from below):
  // D_b·(β / (−β − c))^f. NaN when y has no minimum in D.
  double TurningD(double n, double lr = 1) const;
};

// Fits the broken law to data with the variables N and D (any order) and optionally
// "learning_rate" or "lr". Throws ConfigError for another set of variables, bad input
// (CheckFitData) or invalid options, and SolverError when no start reached a finite solution (one
// where every parameter, E, A, B, f and k included, is a finite double, the last five > 0; the
// message quotes Ceres' BriefReport of the first start). The winner is the lowest objective among
// those (ties: the lower start index), whatever the number of threads.
BnslFit FitBnsl(const FitData& data, const BnslFitOptions& options = {});

}  // namespace florenz
