// Ceres fit of the additive law (see huber_fit.h). The grid of starts is searched in parallel
// with L-BFGS on the whole summed objective (huber_objective.h: one vectorised pass over the
// points; lbfgs_search.h: no per-iteration allocation); the best few are then polished tightly by
// Ceres' Levenberg–Marquardt with one residual block per point, analytic derivatives of the
// log-sum-exp and a Huber loss per block (Ceres' ½ρ(r²) is exactly the textbook Huber term, so
// Ceres' cost is the summed objective).
#include "fitting/huber_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <sstream>
#include <thread>

#include "core/errors.h"
#include "fitting/huber_objective.h"
#include "fitting/lbfgs_search.h"

namespace florenz {
namespace {

// Parameter block: [e (if fitted), a_1, α_1, a_2, α_2, …].
class LogSumExpResidual : public ceres::CostFunction {
 public:
  LogSumExpResidual(std::vector<double> log_x, double log_y, bool has_e)
      : log_x_(std::move(log_x)), log_y_(log_y), has_e_(has_e) {
    set_num_residuals(1);
    mutable_parameter_block_sizes()->push_back(static_cast<int>(has_e_ + 2 * log_x_.size()));
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    const double* p = parameters[0];
    const int k = static_cast<int>(log_x_.size());
    double z[16];
    int terms = 0;
    if (has_e_) z[terms++] = p[0];
    for (int j = 0; j < k; ++j) {
      const double a = p[has_e_ + 2 * j], alpha = p[has_e_ + 2 * j + 1];
      z[terms++] = a - alpha * log_x_[j];
    }
    const double m = *std::max_element(z, z + terms);
    double sum = 0;
    for (int t = 0; t < terms; ++t) {
      z[t] = std::exp(z[t] - m);
      sum += z[t];
    }
    residuals[0] = m + std::log(sum) - log_y_;
    if (!std::isfinite(residuals[0])) return false;
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      double* jac = jacobians[0];
      int t = 0;
      if (has_e_) jac[0] = z[t++] / sum;
      for (int j = 0; j < k; ++j, ++t) {
        const double w = z[t] / sum;
        jac[has_e_ + 2 * j] = w;
        jac[has_e_ + 2 * j + 1] = -w * log_x_[j];
      }
    }
    return true;
  }

 private:
  std::vector<double> log_x_;
  double log_y_;
  bool has_e_;
};

// The start with grid index `index`, written into p (same layout as the residual).
void StartValues(const HuberFitOptions& options, int variables, int index, double* p) {
  if (!options.starts.empty()) {
    std::copy(options.starts[index].begin(), options.starts[index].end(), p);
    return;
  }
  const bool has_e = options.fit_irreducible;
  if (has_e) {
    const int size = static_cast<int>(options.log_irreducible_starts.size());
    p[0] = options.log_irreducible_starts[index % size];
    index /= size;
  }
  const int n_a = static_cast<int>(options.log_coefficient_starts.size());
  const int n_alpha = static_cast<int>(options.exponent_starts.size());
  for (int j = 0; j < variables; ++j) {
    p[has_e + 2 * j] = options.log_coefficient_starts[index % n_a];
    index /= n_a;
    p[has_e + 2 * j + 1] = options.exponent_starts[index % n_alpha];
    index /= n_alpha;
  }
}

double Huber(double r, double delta) {
  const double a = std::fabs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}

// The search's result for one start: the point reached and its objective.
struct Candidate {
  double cost;
  int start;
  const double* p;  // into SearchResult::points
};

struct SearchResult {
  std::vector<double> points;         // [start * parameters + q]
  std::vector<Candidate> candidates;  // usable starts, sorted by SortCandidates
  int converged = 0;
};

// The polish's winner (found == false: no polish converged; `failed` is the first failure's
// report, if any).
struct PolishResult {
  bool found = false;
  double cost = std::numeric_limits<double>::infinity();
  int start = -1;
  std::vector<double> p;
  ceres::Solver::Summary summary;
  bool any_failed = false;
  ceres::Solver::Summary failed;
};

bool AllFinite(const double* p, int size) {
  return std::all_of(p, p + size, [](double v) { return std::isfinite(v); });
}

// Throws ConfigError for invalid options or data; returns the number of parameters.
int CheckInput(const FitData& data, const HuberFitOptions& options) {
  const SourceLocation where{data.source, 0, 0};
  std::string error;
  if (!options.IsValid(&error)) throw ConfigError(where, "additive fit options: " + error);
  const int k = data.variables();
  if (k < 1 || k > 8) throw ConfigError(where, "the additive law takes 1 to 8 variables");
  const int parameters = options.fit_irreducible + 2 * k;
  if (options.check_input) CheckFitData(data, parameters, "additive");
  if (!options.starts.empty() && static_cast<int>(options.starts[0].size()) != parameters) {
    throw ConfigError(where, "explicit starts need " + std::to_string(parameters) + " values each");
  }
  return parameters;
}

int ThreadCount(const HuberFitOptions& options, int starts) {
  const int wanted =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(starts, wanted));
}

// Search: L-BFGS from every start with the search limits, the starts shared out to `threads`
// workers one at a time. Each start's result goes to its own slot, so nothing depends on which
// thread ran it.
SearchResult Search(const FitData& data, const HuberFitOptions& options, int starts, int threads) {
  const SummedHuberObjective objective(data, options.fit_irreducible, options.huber_delta);
  const int size = objective.NumParameters();
  LbfgsOptions lbfgs;
  lbfgs.max_iterations = options.search_max_iterations;
  lbfgs.function_tolerance = options.search_tolerance;
  lbfgs.gradient_tolerance = options.search_tolerance * 1e-2;
  lbfgs.parameter_tolerance = options.search_tolerance;

  SearchResult result;
  result.points.resize(static_cast<size_t>(starts) * size);
  std::vector<double> cost(starts, std::numeric_limits<double>::quiet_NaN());
  std::vector<char> converged(starts, 0);
  std::atomic<int> next{0};
  auto work = [&] {
    for (int s = next++; s < starts; s = next++) {
      double* p = &result.points[static_cast<size_t>(s) * size];
      StartValues(options, data.variables(), s, p);
      const LbfgsSummary summary = MinimizeLbfgs(objective, lbfgs, p);
      if (!summary.usable || !std::isfinite(summary.cost) || !AllFinite(p, size)) continue;
      cost[s] = summary.cost;
      converged[s] = summary.converged;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();

  for (int s = 0; s < starts; ++s) {
    if (std::isnan(cost[s])) continue;
    result.candidates.push_back({cost[s], s, &result.points[static_cast<size_t>(s) * size]});
    result.converged += converged[s];
  }
  return result;
}

// Lowest cost first; ties go to the lower start index, so the order does not depend on threads.
void SortCandidates(std::vector<Candidate>* candidates) {
  std::sort(candidates->begin(), candidates->end(), [](const Candidate& a, const Candidate& b) {
    return a.cost < b.cost || (a.cost == b.cost && a.start < b.start);
  });
}

ceres::Solver::Options PolishOptions(const HuberFitOptions& options) {
  ceres::Solver::Options solver;
  solver.linear_solver_type = ceres::DENSE_QR;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;
  solver.num_threads = 1;
  solver.logging_type = ceres::SILENT;
  return solver;
}

// One residual block per point, all on the parameter block p; Ceres owns the residuals.
std::unique_ptr<ceres::Problem> PolishProblem(const FitData& data, bool has_e,
                                              const ceres::HuberLoss* loss, double* p) {
  ceres::Problem::Options problem_options;
  problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  auto problem = std::make_unique<ceres::Problem>(problem_options);
  for (int i = 0; i < data.size(); ++i) {
    std::vector<double> log_x(data.variables());
    for (int j = 0; j < data.variables(); ++j) log_x[j] = std::log(data.x[j][i]);
    problem->AddResidualBlock(new LogSumExpResidual(std::move(log_x), std::log(data.y[i]), has_e),
                              const_cast<ceres::HuberLoss*>(loss), p);
  }
  return problem;
}

// Polish: the first `polish_best` candidates, each by L-BFGS to the tight tolerances (cheap on
// the vectorised objective) and then by Ceres' Levenberg–Marquardt, which confirms convergence
// in a few iterations instead of the hundreds it takes from a search result on the Huber
// objective; the lowest converged objective wins (ties: the earlier candidate).
PolishResult Polish(const FitData& data, const HuberFitOptions& options,
                    const std::vector<Candidate>& candidates) {
  const int size = options.fit_irreducible + 2 * data.variables();
  const ceres::HuberLoss loss(options.huber_delta);
  std::vector<double> p(size);
  const auto problem = PolishProblem(data, options.fit_irreducible, &loss, p.data());
  const ceres::Solver::Options solver = PolishOptions(options);
  const SummedHuberObjective objective(data, options.fit_irreducible, options.huber_delta);
  LbfgsOptions refine;
  refine.max_iterations = options.max_iterations;
  refine.function_tolerance = options.function_tolerance;
  refine.gradient_tolerance = options.gradient_tolerance;
  refine.parameter_tolerance = options.parameter_tolerance;
  PolishResult result;
  const int polished = std::min<int>(options.polish_best, static_cast<int>(candidates.size()));
  for (int c = 0; c < polished; ++c) {
    std::copy(candidates[c].p, candidates[c].p + size, p.begin());
    MinimizeLbfgs(objective, refine, p.data());  // a non-finite start is left as it was
    ceres::Solver::Summary summary;
    ceres::Solve(solver, problem.get(), &summary);
    const bool usable = summary.IsSolutionUsable() && std::isfinite(summary.final_cost) &&
                        AllFinite(p.data(), size);
    if (usable && summary.termination_type == ceres::CONVERGENCE) {
      if (summary.final_cost < result.cost) {
        result.found = true;
        result.cost = summary.final_cost;
        result.start = candidates[c].start;
        result.p = p;
        result.summary = summary;
      }
    } else if (!result.any_failed) {
      result.any_failed = true;
      result.failed = summary;
    }
  }
  return result;
}

AdditiveFit MakeFit(const FitData& data, const HuberFitOptions& options, int starts, int converged,
                    const PolishResult& polish) {
  const bool has_e = options.fit_irreducible;
  AdditiveFit fit;
  fit.x_names = data.x_names;
  fit.has_irreducible = has_e;
  fit.irreducible = has_e ? std::exp(polish.p[0]) : 0.0;
  for (int j = 0; j < data.variables(); ++j) {
    fit.coefficient.push_back(std::exp(polish.p[has_e + 2 * j]));
    fit.exponent.push_back(polish.p[has_e + 2 * j + 1]);
  }
  fit.objective = polish.cost;
  fit.n = data.size();
  fit.starts = starts;
  fit.converged_starts = converged;
  fit.best_start = polish.start;
  fit.ceres_report = polish.summary.BriefReport();
  return fit;
}

}  // namespace

int HuberFitOptions::StartCount(int variables) const {
  if (!starts.empty()) return static_cast<int>(starts.size());
  int count = fit_irreducible ? static_cast<int>(log_irreducible_starts.size()) : 1;
  for (int j = 0; j < variables; ++j) {
    count *= static_cast<int>(log_coefficient_starts.size() * exponent_starts.size());
  }
  return count;
}

bool HuberFitOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why;
    return false;
  };
  if (!(huber_delta > 0)) return fail("huber_delta must be > 0");
  if (exponent_starts.empty() || log_coefficient_starts.empty() ||
      (fit_irreducible && log_irreducible_starts.empty())) {
    return fail("every grid of starts needs at least one value");
  }
  for (const auto& start : starts) {
    if (start.size() != starts.front().size()) return fail("explicit starts differ in size");
  }
  if (max_iterations <= 0 || search_max_iterations <= 0) {
    return fail("max_iterations and search_max_iterations must be > 0");
  }
  if (polish_best < 1) return fail("polish_best must be >= 1");
  if (!(search_tolerance > 0)) return fail("search_tolerance must be > 0");
  if (threads < 0) return fail("threads must be >= 0");
  return true;
}

double AdditiveFit::Predict(const std::vector<double>& x) const {
  double y = has_irreducible ? irreducible : 0.0;
  for (size_t j = 0; j < coefficient.size(); ++j) {
    y += coefficient[j] * std::pow(x[j], -exponent[j]);
  }
  return y;
}

std::vector<double> AdditiveFit::Parameters() const {
  std::vector<double> p;
  if (has_irreducible) p.push_back(irreducible);
  for (size_t j = 0; j < coefficient.size(); ++j) {
    p.push_back(coefficient[j]);
    p.push_back(exponent[j]);
  }
  return p;
}

std::vector<std::string> AdditiveFit::ParameterNames() const {
  std::vector<std::string> names;
  if (has_irreducible) names.push_back("E");
  for (const auto& x : x_names) {
    names.push_back("A_" + x);
    names.push_back("alpha_" + x);
  }
  return names;
}

std::vector<double> AdditiveFit::LogParameters() const {
  std::vector<double> p;
  if (has_irreducible) p.push_back(std::log(irreducible));
  for (size_t j = 0; j < coefficient.size(); ++j) {
    p.push_back(std::log(coefficient[j]));
    p.push_back(exponent[j]);
  }
  return p;
}

double HuberObjective(const AdditiveFit& law, const FitData& data, double huber_delta) {
  double sum = 0;
  std::vector<double> x(data.variables());
  for (int i = 0; i < data.size(); ++i) {
    for (int j = 0; j < data.variables(); ++j) x[j] = data.x[j][i];
    sum += Huber(std::log(law.Predict(x)) - std::log(data.y[i]), huber_delta);
  }
  return sum;
}

AdditiveFit FitAdditive(const FitData& data, const HuberFitOptions& options) {
  CheckInput(data, options);
  const int starts = options.StartCount(data.variables());
  SearchResult search = Search(data, options, starts, ThreadCount(options, starts));
  SortCandidates(&search.candidates);
  const PolishResult polish = Polish(data, options, search.candidates);
  if (!polish.found) {
    std::ostringstream message;
    message << data.source << ": the additive fit of '" << data.y_name
            << "' did not converge from any of " << starts
            << " starts; Ceres' report of the best start: "
            << (polish.any_failed ? polish.failed.BriefReport()
                                  : std::string("no usable solution"));
    throw SolverError(message.str());
  }
  return MakeFit(data, options, starts, search.converged, polish);
}

}  // namespace florenz
