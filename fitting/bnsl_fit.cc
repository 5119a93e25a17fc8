// Ceres fit of the broken law (see bnsl_fit.h). The law is evaluated in log space throughout:
//   log D_b = κ + g·log N + h·log lr,
//   log term_D = b − β·log D − c·f·softplus((log D − log D_b)/f),
//   log ŷ = LSE(e, a − α·log N, log term_D),
// so no power of D is formed and a sharp break (f → 0) or a steep U-turn cannot overflow. Every
// start of the grid is solved on its own by Levenberg–Marquardt (automatic derivatives, one
// residual block per point, Huber loss per block: Ceres' ½ρ(r²) is the textbook Huber term), and
// written to its own slot, so the winner does not depend on the number of threads.
#include "fitting/bnsl_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "core/errors.h"

namespace florenz {
namespace {

// The solver's layout: e = log E, a = log A, α, b = log B, β, c, φ = log f, κ = log k, g, h.
enum Parameter { kE, kA, kAlpha, kB, kBeta, kC, kPhi, kKappa, kG, kH };
constexpr int kSizeWithoutRate = 9;
constexpr int kSizeWithRate = 10;

// Columns of N, D and the learning rate (-1: none) in FitData::x / BnslFit::x_names.
struct Columns {
  int n = -1;
  int d = -1;
  int lr = -1;
};

bool IsRateName(const std::string& name) { return name == "learning_rate" || name == "lr"; }

// The columns, or -1 for any that is missing; `unknown` counts the names that are none of them
// (a second N, D or rate counts as unknown).
Columns FindColumns(const std::vector<std::string>& names, int* unknown) {
  Columns columns;
  *unknown = 0;
  for (int j = 0; j < static_cast<int>(names.size()); ++j) {
    int* slot = names[j] == "N"        ? &columns.n
                : names[j] == "D"      ? &columns.d
                : IsRateName(names[j]) ? &columns.lr
                                       : nullptr;
    if (slot == nullptr || *slot >= 0) {
      ++*unknown;
    } else {
      *slot = j;
    }
  }
  return columns;
}

// Throws ConfigError unless the variables are N and D and at most a learning rate.
Columns CheckColumns(const FitData& data) {
  const SourceLocation where{data.source, 0, 0};
  int unknown = 0;
  const Columns columns = FindColumns(data.x_names, &unknown);
  if (columns.n < 0 || columns.d < 0 || unknown > 0) {
    std::string got;
    for (const auto& name : data.x_names) got += (got.empty() ? "" : ", ") + name;
    throw ConfigError(where,
                      "the bnsl law takes the variables N and D and optionally "
                      "learning_rate (or lr), each once; got " +
                          (got.empty() ? std::string("none") : got));
  }
  if (data.x.size() != data.x_names.size()) {
    throw ConfigError(where, "bnsl: " + std::to_string(data.x_names.size()) +
                                 " variable names but " + std::to_string(data.x.size()) +
                                 " columns");
  }
  return columns;
}

// log(1 + e^x) without overflow for large x or loss of precision for very negative x.
template <typename T>
T Softplus(const T& x) {
  using std::exp;
  using std::log1p;
  if (x > T(0)) return x + log1p(exp(-x));
  return log1p(exp(x));
}

// log ŷ at one point, for the solver's layout p (h read only with a learning rate).
template <typename T>
T LogPrediction(const T* p, double log_n, double log_d, double log_lr, bool has_lr) {
  using std::exp;
  using std::log;
  T log_break = p[kKappa] + p[kG] * log_n;
  if (has_lr) log_break += p[kH] * log_lr;
  const T f = exp(p[kPhi]);
  const T log_term_d = p[kB] - p[kBeta] * log_d - p[kC] * f * Softplus((T(log_d) - log_break) / f);
  const T z[3] = {p[kE], p[kA] - p[kAlpha] * log_n, log_term_d};
  T m = z[0];
  if (z[1] > m) m = z[1];
  if (z[2] > m) m = z[2];
  return m + log(exp(z[0] - m) + exp(z[1] - m) + exp(z[2] - m));
}

// One point, in logs.
struct Point {
  double log_n, log_d, log_lr, log_y;
};

// A runaway start can send log f past ±700, where f or 1/f overflows and the derivatives turn
// to NaN while the residual is still finite (Ceres then logs the block to stderr and gives up on
// the start). Beyond ±50 the break is already a kink or a bend wider than 1e21 e-folds of D, so a
// step there is simply rejected.
constexpr double kMaxAbsLogF = 50;

bool AllFinite(double v) { return std::isfinite(v); }

template <typename T, int N>
bool AllFinite(const ceres::Jet<T, N>& v) {
  return std::isfinite(v.a) && v.v.allFinite();
}

// r = log ŷ − log y for one point; kSize picks the layout with or without h.
template <int kSize>
struct BnslResidual {
  explicit BnslResidual(const Point& point) : point_(point) {}

  // False (an invalid step for Ceres, not an error) where the law cannot be evaluated.
  template <typename T>
  bool operator()(const T* p, T* residual) const {
    if (!(p[kPhi] < T(kMaxAbsLogF) && p[kPhi] > T(-kMaxAbsLogF))) return false;
    residual[0] =
        LogPrediction(p, point_.log_n, point_.log_d, point_.log_lr, kSize == kSizeWithRate) -
        T(point_.log_y);
    return AllFinite(residual[0]);
  }

  Point point_;
};

template <int kSize>
void AddResiduals(const std::vector<Point>& points, ceres::LossFunction* loss, double* p,
                  ceres::Problem* problem) {
  for (const Point& point : points) {
    problem->AddResidualBlock(new ceres::AutoDiffCostFunction<BnslResidual<kSize>, 1, kSize>(
                                  new BnslResidual<kSize>(point)),
                              loss, p);
  }
}

std::vector<Point> LogPoints(const FitData& data, const Columns& columns) {
  std::vector<Point> points(data.size());
  for (int i = 0; i < data.size(); ++i) {
    points[i].log_n = std::log(data.x[columns.n][i]);
    points[i].log_d = std::log(data.x[columns.d][i]);
    points[i].log_lr = columns.lr >= 0 ? std::log(data.x[columns.lr][i]) : 0.0;
    points[i].log_y = std::log(data.y[i]);
  }
  return points;
}

// The q-quantile of `values` (linear between order statistics).
double Quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * (values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - below) * (values[above] - values[below]);
}

// The grid of starts, built from the data's scale: every combination of α, β ∈ {0.3, 1},
// c ∈ {−2, −0.5, 0.5}, g ∈ {0, 1}, f ∈ {0.3, 1}, h ∈ {−1, 0} (with a rate; else none) and the
// break at the 25/50/75 % quantile of log D (at the geometric-mean N and rate). E starts at half
// the lowest y; A and B so that their terms start near the mean y.
std::vector<std::vector<double>> StartGrid(const std::vector<Point>& points, bool has_lr) {
  double mean_log_n = 0, mean_log_d = 0, mean_log_lr = 0, mean_y = 0;
  double min_y = std::numeric_limits<double>::infinity();
  std::vector<double> log_d;
  for (const Point& point : points) {
    mean_log_n += point.log_n;
    mean_log_d += point.log_d;
    mean_log_lr += point.log_lr;
    mean_y += std::exp(point.log_y);
    min_y = std::min(min_y, std::exp(point.log_y));
    log_d.push_back(point.log_d);
  }
  const double count = static_cast<double>(points.size());
  mean_log_n /= count;
  mean_log_d /= count;
  mean_log_lr /= count;
  mean_y /= count;
  const double quantiles[3] = {Quantile(log_d, 0.25), Quantile(log_d, 0.5), Quantile(log_d, 0.75)};
  const std::vector<double> h_starts = has_lr ? std::vector<double>{-1, 0} : std::vector<double>{0};

  std::vector<std::vector<double>> starts;
  for (const double alpha : {0.3, 1.0}) {
    for (const double beta : {0.3, 1.0}) {
      for (const double c : {-2.0, -0.5, 0.5}) {
        for (const double g : {0.0, 1.0}) {
          for (const double f : {0.3, 1.0}) {
            for (const double h : h_starts) {
              for (const double log_break : quantiles) {
                std::vector<double> p(has_lr ? kSizeWithRate : kSizeWithoutRate);
                p[kE] = std::log(0.5 * min_y);
                p[kA] = std::log(mean_y) + alpha * mean_log_n;
                p[kAlpha] = alpha;
                p[kB] = std::log(mean_y) + beta * mean_log_d;
                p[kBeta] = beta;
                p[kC] = c;
                p[kPhi] = std::log(f);
                p[kKappa] = log_break - g * mean_log_n - h * mean_log_lr;
                p[kG] = g;
                if (has_lr) p[kH] = h;
                starts.push_back(std::move(p));
              }
            }
          }
        }
      }
    }
  }
  return starts;
}

// What one start reached.
struct StartResult {
  bool usable = false;  // a finite cost and a representable solution (IsRepresentable)
  bool converged = false;
  double cost = std::numeric_limits<double>::infinity();
  std::vector<double> p;
  std::string report;  // Ceres' BriefReport()
};

ceres::Solver::Options SolverOptions(const BnslFitOptions& options) {
  ceres::Solver::Options solver;
  solver.minimizer_type = ceres::TRUST_REGION;
  solver.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  solver.linear_solver_type = ceres::DENSE_QR;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;
  solver.num_threads = 1;
  solver.minimizer_progress_to_stdout = false;
  solver.logging_type = ceres::SILENT;
  return solver;
}

// Whether p is finite and E, A, B, f and k, the exponentials of its logs, are finite doubles > 0.
// The optimum of noisy data can be degenerate: an N term 1e5^−2000·e^23000 that only touches the
// smallest N has finite logs but no A to report (nor to predict with).
bool IsRepresentable(const std::vector<double>& p) {
  for (const double v : p) {
    if (!std::isfinite(v)) return false;
  }
  for (const int log_parameter : {kE, kA, kB, kPhi, kKappa}) {
    if (!std::isnormal(std::exp(p[log_parameter]))) return false;
  }
  return true;
}

// Levenberg–Marquardt from `start`, on a problem of its own (Ceres owns the residuals, not the
// shared loss, whose Evaluate is const and safe to call from several threads).
StartResult SolveFrom(const std::vector<Point>& points, bool has_lr, const BnslFitOptions& options,
                      ceres::LossFunction* loss, std::vector<double> start) {
  StartResult result;
  result.p = std::move(start);
  ceres::Problem::Options problem_options;
  problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  ceres::Problem problem(problem_options);
  if (has_lr) {
    AddResiduals<kSizeWithRate>(points, loss, result.p.data(), &problem);
  } else {
    AddResiduals<kSizeWithoutRate>(points, loss, result.p.data(), &problem);
  }
  ceres::Solver::Summary summary;
  ceres::Solve(SolverOptions(options), &problem, &summary);
  result.usable =
      summary.IsSolutionUsable() && std::isfinite(summary.final_cost) && IsRepresentable(result.p);
  result.converged = result.usable && summary.termination_type == ceres::CONVERGENCE;
  result.cost = summary.final_cost;
  result.report = summary.BriefReport();
  return result;
}

int ThreadCount(const BnslFitOptions& options, int starts) {
  const int wanted =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(starts, wanted));
}

// Every start, shared out to the workers one at a time; each result goes to its own slot.
std::vector<StartResult> SolveAll(const std::vector<Point>& points, bool has_lr,
                                  const BnslFitOptions& options,
                                  const std::vector<std::vector<double>>& starts) {
  ceres::HuberLoss loss(options.huber_delta);
  std::vector<StartResult> results(starts.size());
  const int count = static_cast<int>(starts.size());
  std::atomic<int> next{0};
  auto work = [&] {
    for (int s = next++; s < count; s = next++) {
      results[s] = SolveFrom(points, has_lr, options, &loss, starts[s]);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < ThreadCount(options, count); ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  return results;
}

}  // namespace

bool BnslFitOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why;
    return false;
  };
  if (!(huber_delta > 0)) return fail("huber_delta must be > 0");
  if (max_iterations <= 0) return fail("max_iterations must be > 0");
  if (!(function_tolerance > 0) || !(gradient_tolerance > 0) || !(parameter_tolerance > 0)) {
    return fail("function_tolerance, gradient_tolerance and parameter_tolerance must be > 0");
  }
  if (threads < 0) return fail("threads must be >= 0");
  for (const auto& start : starts) {
    if (start.size() != starts.front().size()) return fail("explicit starts differ in size");
  }
  return true;
}

double BnslFit::Predict(const std::vector<double>& x) const {
  int unknown = 0;
  const Columns columns = FindColumns(x_names, &unknown);
  const double log_lr = columns.lr >= 0 ? std::log(x[columns.lr]) : 0.0;
  const std::vector<double> p = SolverParameters();
  return std::exp(LogPrediction(p.data(), std::log(x[columns.n]), std::log(x[columns.d]), log_lr,
                                has_learning_rate));
}

std::vector<double> BnslFit::Parameters() const {
  std::vector<double> p = {E, A, alpha, B, beta, c, f, k, g};
  if (has_learning_rate) p.push_back(h);
  return p;
}

std::vector<std::string> BnslFit::ParameterNames() const {
  std::vector<std::string> names = {"E", "A", "alpha", "B", "beta", "c", "f", "k", "g"};
  if (has_learning_rate) names.push_back("h");
  return names;
}

std::vector<double> BnslFit::SolverParameters() const {
  std::vector<double> p = {std::log(E), std::log(A), alpha, std::log(B), beta, c,
                           std::log(f), std::log(k), g};
  if (has_learning_rate) p.push_back(h);
  return p;
}

double BnslFit::BreakD(double n, double lr) const {
  return k * std::pow(n, g) * (has_learning_rate ? std::pow(lr, h) : 1.0);
}

double BnslFit::TurningD(double n, double lr) const {
  if (!(beta > 0 && c < -beta)) return std::numeric_limits<double>::quiet_NaN();
  // σ(u) = −β/c  ⇔  e^u = β / (−β − c), and log D = log D_b + f·u.
  return BreakD(n, lr) * std::pow(beta / (-beta - c), f);
}

BnslFit FitBnsl(const FitData& data, const BnslFitOptions& options) {
  const SourceLocation where{data.source, 0, 0};
  std::string error;
  if (!options.IsValid(&error)) throw ConfigError(where, "bnsl fit options: " + error);
  const Columns columns = CheckColumns(data);
  const bool has_lr = columns.lr >= 0;
  const int size = has_lr ? kSizeWithRate : kSizeWithoutRate;
  if (options.check_input) CheckFitData(data, size, "bnsl");
  if (!options.starts.empty() && static_cast<int>(options.starts.front().size()) != size) {
    throw ConfigError(where, "explicit bnsl starts need " + std::to_string(size) + " values each");
  }

  const std::vector<Point> points = LogPoints(data, columns);
  const std::vector<std::vector<double>> starts =
      options.starts.empty() ? StartGrid(points, has_lr) : options.starts;
  const std::vector<StartResult> results = SolveAll(points, has_lr, options, starts);

  // Lowest cost wins; ties go to the lower start index.
  int best = -1;
  int converged = 0;
  for (int s = 0; s < static_cast<int>(results.size()); ++s) {
    converged += results[s].converged;
    if (results[s].usable && (best < 0 || results[s].cost < results[best].cost)) best = s;
  }
  if (best < 0) {
    std::ostringstream message;
    message << data.source << ": the bnsl fit of '" << data.y_name
            << "' reached no finite solution from any of " << results.size()
            << " starts; Ceres' report of the first start: " << results.front().report;
    throw SolverError(message.str());
  }

  const std::vector<double>& p = results[best].p;
  BnslFit fit;
  fit.x_names = data.x_names;
  fit.has_learning_rate = has_lr;
  fit.E = std::exp(p[kE]);
  fit.A = std::exp(p[kA]);
  fit.alpha = p[kAlpha];
  fit.B = std::exp(p[kB]);
  fit.beta = p[kBeta];
  fit.c = p[kC];
  fit.f = std::exp(p[kPhi]);
  fit.k = std::exp(p[kKappa]);
  fit.g = p[kG];
  fit.h = has_lr ? p[kH] : 0.0;
  fit.objective = results[best].cost;
  fit.n = data.size();
  fit.starts = static_cast<int>(results.size());
  fit.converged_starts = converged;
  fit.best_start = best;
  fit.ceres_report = results[best].report;
  return fit;
}

}  // namespace florenz
