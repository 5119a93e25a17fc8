// Parabolas per compute budget and the N_opt(C) power law across budgets (see isoflop.h).
#include "fitting/isoflop.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/errors.h"

namespace florenz {

double IsoflopFit::NOpt(double compute) const { return g * std::pow(compute, a); }

std::vector<IsoflopBudget> FitParabolas(const FitData& data, const IsoflopOptions& options,
                                        std::vector<std::string>* warnings) {
  const SourceLocation where{data.source, 0, 0};
  if (data.variables() != 2) {
    throw ConfigError(where, "the isoFLOP analysis takes two variables, N and C (--x N,C)");
  }
  CheckFitData(data, 0, "isoflop");
  int n_col = data.VariableIndex("N"), c_col = data.VariableIndex("C");
  if (n_col < 0 || c_col < 0 || n_col == c_col) n_col = 0, c_col = 1;
  const auto& size = data.x[n_col];
  const auto& compute = data.x[c_col];

  std::vector<int> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int i, int j) { return compute[i] < compute[j]; });
  std::vector<std::vector<int>> groups;
  for (const int i : order) {
    if (groups.empty() ||
        compute[i] > compute[groups.back().front()] * (1.0 + options.budget_tolerance)) {
      groups.emplace_back();
    }
    groups.back().push_back(i);
  }

  std::vector<IsoflopBudget> budgets;
  for (const auto& group : groups) {
    std::ostringstream budget_name;
    budget_name << "budget C=" << compute[group.front()];
    if (group.size() < 3) {
      warnings->push_back(budget_name.str() + ": " + std::to_string(group.size()) +
                          " sizes, a parabola needs 3; skipped");
      continue;
    }
    Eigen::MatrixXd design(group.size(), 3);
    Eigen::VectorXd y(group.size());
    double lo = HUGE_VAL, hi = -HUGE_VAL, c_mean = 0;
    for (size_t r = 0; r < group.size(); ++r) {
      const double x = std::log(size[group[r]]);
      design.row(r) << 1.0, x, x * x;
      y(r) = std::log(data.y[group[r]]);
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      c_mean += compute[group[r]] / group.size();
    }
    const Eigen::VectorXd c = design.colPivHouseholderQr().solve(y);
    IsoflopBudget budget;
    budget.compute = c_mean;
    budget.points = static_cast<int>(group.size());
    budget.c0 = c(0), budget.c1 = c(1), budget.c2 = c(2);
    if (hi - lo < 1e-12) {
      warnings->push_back(budget_name.str() + ": a single model size; skipped");
      continue;
    }
    if (budget.c2 > 0) {
      const double x_opt = -budget.c1 / (2 * budget.c2);
      budget.n_opt = std::exp(x_opt);
      budget.loss_at_opt = std::exp(budget.c0 + budget.c1 * x_opt + budget.c2 * x_opt * x_opt);
      budget.interior = x_opt > lo && x_opt < hi;
      if (!budget.interior) {
        warnings->push_back(budget_name.str() + ": the minimum N=" + std::to_string(budget.n_opt) +
                            " lies outside the trained sizes (not interior)");
      }
    } else {
      warnings->push_back(budget_name.str() +
                          ": the parabola opens downward (no minimum); skipped");
    }
    budgets.push_back(budget);
  }
  return budgets;
}

IsoflopFit FitIsoflop(const FitData& data, const IsoflopOptions& options) {
  const SourceLocation where{data.source, 0, 0};
  IsoflopFit fit;
  fit.budgets = FitParabolas(data, options, &fit.warnings);
  FitData optima;
  optima.source = data.source;
  optima.x_names = {"C"};
  optima.y_name = "N_opt";
  optima.x.resize(1);
  for (const IsoflopBudget& budget : fit.budgets) {
    if (budget.c2 > 0 && (budget.interior || !options.require_interior)) {
      optima.x[0].push_back(budget.compute);
      optima.y.push_back(budget.n_opt);
    }
  }
  if (optima.size() < 3) {
    // Two optima determine the line exactly (no residual degrees of freedom): still a fit, but
    // without intervals. Fewer cannot be fitted.
    if (optima.size() < 2) {
      std::string message =
          "the isoFLOP analysis needs at least 2 compute budgets with an "
          "interior minimum (3 or more sizes each); found " +
          std::to_string(optima.size());
      for (const auto& w : fit.warnings) message += "; " + w;
      throw ConfigError(where, message);
    }
  }
  LogLinearOptions ols;
  ols.check_input = false;
  if (optima.size() >= 3) {
    fit.n_opt_fit = FitLogLinear(optima, ols);
    fit.a = fit.n_opt_fit.coef(1);
    fit.g = std::pow(10.0, fit.n_opt_fit.coef(0));
  } else {
    fit.a = std::log(optima.y[1] / optima.y[0]) / std::log(optima.x[0][1] / optima.x[0][0]);
    fit.g = optima.y[0] / std::pow(optima.x[0][0], fit.a);
  }
  return fit;
}

}  // namespace florenz
