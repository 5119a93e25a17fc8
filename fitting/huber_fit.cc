// Ceres fit of the additive law (see huber_fit.h): one residual block per point with analytic
// derivatives of the log-sum-exp, a Huber loss per block (Ceres' ½ρ(r²) is exactly the textbook
// Huber term, so Ceres' cost is the summed objective). The grid of starts is searched with loose
// tolerances across threads (each reusing one Problem); the best few are then polished tightly.
#include "fitting/huber_fit.h"

#include <ceres/ceres.h>
#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/errors.h"

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

// The whole objective Σ Huber_δ(r_i) and its gradient in one pass over the points, for the
// L-BFGS search: no per-residual-block overhead, which dominates Levenberg–Marquardt on small
// problems.
class SummedHuber : public ceres::FirstOrderFunction {
 public:
  SummedHuber(const FitData& data, bool has_e, double delta)
      : k_(data.variables()), n_(data.size()), has_e_(has_e), delta_(delta) {
    log_x_.resize(static_cast<size_t>(k_) * n_);
    log_y_.resize(n_);
    for (int i = 0; i < n_; ++i) {
      for (int j = 0; j < k_; ++j) log_x_[i * k_ + j] = std::log(data.x[j][i]);
      log_y_[i] = std::log(data.y[i]);
    }
  }

  int NumParameters() const override { return has_e_ + 2 * k_; }

  bool Evaluate(const double* p, double* cost, double* gradient) const override {
    const int size = NumParameters();
    if (gradient != nullptr) std::fill(gradient, gradient + size, 0.0);
    double sum = 0;
    double z[16];
    for (int i = 0; i < n_; ++i) {
      const double* log_x = &log_x_[static_cast<size_t>(i) * k_];
      int terms = 0;
      if (has_e_) z[terms++] = p[0];
      for (int j = 0; j < k_; ++j)
        z[terms++] = p[has_e_ + 2 * j] - p[has_e_ + 2 * j + 1] * log_x[j];
      const double m = *std::max_element(z, z + terms);
      double total = 0;
      for (int t = 0; t < terms; ++t) total += (z[t] = std::exp(z[t] - m));
      const double r = m + std::log(total) - log_y_[i];
      const double a = std::fabs(r);
      sum += a <= delta_ ? 0.5 * r * r : delta_ * (a - 0.5 * delta_);
      if (gradient != nullptr) {
        const double dh = std::max(-delta_, std::min(delta_, r)) / total;
        int t = 0;
        if (has_e_) gradient[0] += dh * z[t++];
        for (int j = 0; j < k_; ++j, ++t) {
          gradient[has_e_ + 2 * j] += dh * z[t];
          gradient[has_e_ + 2 * j + 1] -= dh * z[t] * log_x[j];
        }
      }
    }
    *cost = sum;
    return std::isfinite(sum);
  }

 private:
  int k_, n_;
  bool has_e_;
  double delta_;
  std::vector<double> log_x_;  // [i * k + j]
  std::vector<double> log_y_;
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
  // Ceres' line search logs a warning to stderr for each degenerate interpolation step it
  // recovers from; a failed fit is reported through the summary instead.
  static std::once_flag quiet_logging;
  std::call_once(quiet_logging, [] { FLAGS_minloglevel = google::GLOG_ERROR; });
  const SourceLocation where{data.source, 0, 0};
  std::string error;
  if (!options.IsValid(&error)) throw ConfigError(where, "additive fit options: " + error);
  const int k = data.variables();
  if (k < 1 || k > 8) throw ConfigError(where, "the additive law takes 1 to 8 variables");
  const int n_params = options.fit_irreducible + 2 * k;
  if (options.check_input) CheckFitData(data, n_params, "additive");
  const int n = data.size();
  const int starts = options.StartCount(k);
  if (!options.starts.empty() && static_cast<int>(options.starts[0].size()) != n_params) {
    throw ConfigError(where, "explicit starts need " + std::to_string(n_params) + " values each");
  }
  const int threads =
      std::max(1, std::min(starts, options.threads > 0
                                       ? options.threads
                                       : static_cast<int>(std::thread::hardware_concurrency())));

  auto solver_options = [&](int max_iterations, double function_tolerance,
                            double gradient_tolerance, double parameter_tolerance) {
    ceres::Solver::Options solver;
    solver.linear_solver_type = ceres::DENSE_QR;
    solver.max_num_iterations = max_iterations;
    solver.function_tolerance = function_tolerance;
    solver.gradient_tolerance = gradient_tolerance;
    solver.parameter_tolerance = parameter_tolerance;
    solver.num_threads = 1;
    solver.logging_type = ceres::SILENT;
    return solver;
  };
  ceres::GradientProblemSolver::Options search;
  search.line_search_direction_type = ceres::LBFGS;
  search.max_num_iterations = options.search_max_iterations;
  search.function_tolerance = options.search_tolerance;
  search.gradient_tolerance = options.search_tolerance * 1e-2;
  search.parameter_tolerance = options.search_tolerance;
  search.logging_type = ceres::SILENT;
  const ceres::Solver::Options polish =
      solver_options(options.max_iterations, options.function_tolerance, options.gradient_tolerance,
                     options.parameter_tolerance);

  // One residual block per point, all on the parameter block p; Ceres owns the residuals.
  auto make_problem = [&](std::vector<double>* p, const ceres::HuberLoss* loss) {
    ceres::Problem::Options problem_options;
    problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    auto problem = std::make_unique<ceres::Problem>(problem_options);
    for (int i = 0; i < n; ++i) {
      std::vector<double> log_x(k);
      for (int j = 0; j < k; ++j) log_x[j] = std::log(data.x[j][i]);
      problem->AddResidualBlock(
          new LogSumExpResidual(std::move(log_x), std::log(data.y[i]), options.fit_irreducible),
          const_cast<ceres::HuberLoss*>(loss), p->data());
    }
    return problem;
  };
  const ceres::HuberLoss loss(options.huber_delta);
  auto finite = [](const std::vector<double>& p) {
    return std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); });
  };

  // Search: every start, L-BFGS on the summed objective with loose tolerances, in parallel.
  struct Candidate {
    double cost;
    int start;
    std::vector<double> p;
  };
  std::vector<std::vector<Candidate>> found(threads);
  std::vector<int> search_converged(threads, 0);
  std::atomic<int> next{0};
  auto work = [&](int thread) {
    std::vector<double> p(n_params);
    const ceres::GradientProblem problem(
        new SummedHuber(data, options.fit_irreducible, options.huber_delta));
    for (int s = next++; s < starts; s = next++) {
      StartValues(options, k, s, p.data());
      ceres::GradientProblemSolver::Summary summary;
      ceres::Solve(search, problem, p.data(), &summary);
      if (!summary.IsSolutionUsable() || !std::isfinite(summary.final_cost) || !finite(p)) {
        continue;
      }
      search_converged[thread] += summary.termination_type == ceres::CONVERGENCE;
      found[thread].push_back({summary.final_cost, s, p});
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();
  std::vector<Candidate> candidates;
  for (auto& list : found) {
    for (auto& c : list) candidates.push_back(std::move(c));
  }
  // Ties go to the lower start index, so the result does not depend on thread timing.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.cost < b.cost || (a.cost == b.cost && a.start < b.start);
  });

  // Polish: the best few, to tight tolerances; the lowest converged objective wins.
  std::vector<double> p(n_params);
  auto problem = make_problem(&p, &loss);
  double best_cost = std::numeric_limits<double>::infinity();
  int best_start = -1;
  std::vector<double> best_p;
  ceres::Solver::Summary best_summary, failed_summary;
  bool any_failed = false;
  const int polished = std::min<int>(options.polish_best, static_cast<int>(candidates.size()));
  for (int c = 0; c < polished; ++c) {
    p = candidates[c].p;
    ceres::Solver::Summary summary;
    ceres::Solve(polish, problem.get(), &summary);
    const bool usable =
        summary.IsSolutionUsable() && std::isfinite(summary.final_cost) && finite(p);
    if (usable && summary.termination_type == ceres::CONVERGENCE) {
      if (summary.final_cost < best_cost) {
        best_cost = summary.final_cost;
        best_start = candidates[c].start;
        best_p = p;
        best_summary = summary;
      }
    } else if (!any_failed) {
      any_failed = true;
      failed_summary = summary;
    }
  }
  if (best_start < 0) {
    std::ostringstream message;
    message << "the additive fit of '" << data.y_name << "' did not converge from any of " << starts
            << " starts; Ceres' report of the best start: "
            << (any_failed ? failed_summary.BriefReport() : std::string("no usable solution"));
    throw ConfigError(where, message.str());
  }
  int converged = 0;
  for (const int c : search_converged) converged += c;
  AdditiveFit fit;
  fit.x_names = data.x_names;
  fit.has_irreducible = options.fit_irreducible;
  fit.irreducible = options.fit_irreducible ? std::exp(best_p[0]) : 0.0;
  for (int j = 0; j < k; ++j) {
    fit.coefficient.push_back(std::exp(best_p[options.fit_irreducible + 2 * j]));
    fit.exponent.push_back(best_p[options.fit_irreducible + 2 * j + 1]);
  }
  fit.objective = best_cost;
  fit.n = n;
  fit.starts = starts;
  fit.converged_starts = converged;
  fit.best_start = best_start;
  fit.ceres_report = best_summary.BriefReport();
  return fit;
}

}  // namespace florenz
