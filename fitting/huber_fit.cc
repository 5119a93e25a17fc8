// Ceres fit of the additive law (see huber_fit.h): one residual block per point with analytic
// derivatives of the log-sum-exp, a Huber loss per block (Ceres' ½ρ(r²) is exactly the textbook
// Huber term, so Ceres' cost is the summed objective), and the grid of starts shared out to
// threads, each reusing one Problem.
#include "fitting/huber_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "experiments/errors.h"

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
  if (max_iterations <= 0) return fail("max_iterations must be > 0");
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

  ceres::Solver::Options solver;
  solver.linear_solver_type = ceres::DENSE_QR;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;
  solver.num_threads = 1;
  solver.logging_type = ceres::SILENT;

  struct Best {
    double cost = std::numeric_limits<double>::infinity();
    int start = -1;
    std::vector<double> p;
    ceres::Solver::Summary summary;
    // Lowest-cost start that did not converge, to report when none did.
    double failed_cost = std::numeric_limits<double>::infinity();
    ceres::Solver::Summary failed_summary;
    int converged = 0;
  };
  std::vector<Best> best(threads);
  std::atomic<int> next{0};
  auto work = [&](int thread) {
    ceres::Problem::Options problem_options;
    problem_options.cost_function_ownership = ceres::TAKE_OWNERSHIP;
    problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    ceres::Problem problem(problem_options);
    ceres::HuberLoss loss(options.huber_delta);
    std::vector<double> p(n_params);
    for (int i = 0; i < n; ++i) {
      std::vector<double> log_x(k);
      for (int j = 0; j < k; ++j) log_x[j] = std::log(data.x[j][i]);
      problem.AddResidualBlock(
          new LogSumExpResidual(std::move(log_x), std::log(data.y[i]), options.fit_irreducible),
          &loss, p.data());
    }
    Best& mine = best[thread];
    for (int s = next++; s < starts; s = next++) {
      StartValues(options, k, s, p.data());
      ceres::Solver::Summary summary;
      ceres::Solve(solver, &problem, &summary);
      const double cost = summary.final_cost;
      const bool usable =
          summary.IsSolutionUsable() && std::isfinite(cost) &&
          std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); });
      if (!usable) continue;
      // Ties go to the lower start index, so the result does not depend on thread timing.
      if (summary.termination_type == ceres::CONVERGENCE) {
        ++mine.converged;
        if (cost < mine.cost || (cost == mine.cost && s < mine.start)) {
          mine.cost = cost;
          mine.start = s;
          mine.p = p;
          mine.summary = summary;
        }
      } else if (cost < mine.failed_cost) {
        mine.failed_cost = cost;
        mine.failed_summary = summary;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();

  Best winner;
  int converged = 0;
  for (const Best& b : best) {
    converged += b.converged;
    if (b.start >= 0 && (b.cost < winner.cost || (b.cost == winner.cost && b.start < winner.start)))
      winner = b;
    if (b.failed_cost < winner.failed_cost) {
      winner.failed_cost = b.failed_cost;
      winner.failed_summary = b.failed_summary;
    }
  }
  if (winner.start < 0) {
    std::ostringstream message;
    message << "the additive fit of '" << data.y_name << "' did not converge from any of " << starts
            << " starts; Ceres' report of the best start: "
            << (std::isfinite(winner.failed_cost) ? winner.failed_summary.BriefReport()
                                                  : std::string("no usable solution"));
    throw ConfigError(where, message.str());
  }
  AdditiveFit fit;
  fit.x_names = data.x_names;
  fit.has_irreducible = options.fit_irreducible;
  fit.irreducible = options.fit_irreducible ? std::exp(winner.p[0]) : 0.0;
  for (int j = 0; j < k; ++j) {
    fit.coefficient.push_back(std::exp(winner.p[options.fit_irreducible + 2 * j]));
    fit.exponent.push_back(winner.p[options.fit_irreducible + 2 * j + 1]);
  }
  fit.objective = winner.cost;
  fit.n = n;
  fit.starts = starts;
  fit.converged_starts = converged;
  fit.best_start = winner.start;
  fit.ceres_report = winner.summary.BriefReport();
  return fit;
}

}  // namespace florenz
