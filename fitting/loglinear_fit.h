// The log-linear (multiplicative) law, the Florenz paper's form:
//   log10 y = β0 + Σj βj log10 xj,
// fitted by ordinary least squares with the classical statistics a paper reports: standard
// errors, Student-t confidence intervals, p-values, R², and confidence and prediction intervals
// for predictions.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

struct LogLinearOptions {
  // Level of every interval (coefficients and predictions), in (0, 1). Default 0.95.
  double confidence = 0.95;
  // If false, check nothing (the caller did: the bootstrap's resamples).
  bool check_input = true;
};

struct LogLinearFit {
  // "b0" (log10 intercept), then "b_" + each variable ("b_N", "b_D"): the rows of the vectors.
  std::vector<std::string> names;
  Eigen::VectorXd coef;     // β
  Eigen::VectorXd se;       // standard errors, sqrt(diag(cov))
  Eigen::VectorXd t;        // coef / se
  Eigen::VectorXd p;        // two-sided p-values of H0: β = 0
  Eigen::VectorXd ci_low;   // coef - t_crit · se
  Eigen::VectorXd ci_high;  // coef + t_crit · se
  Eigen::MatrixXd cov;      // s² (XᵀX)⁻¹, in log10 units
  // (XᵀX)⁻¹, kept for prediction intervals.
  Eigen::MatrixXd xtx_inv;
  int n = 0;                 // points
  int dof = 0;               // n − (variables + 1)
  double rss = 0;            // residual sum of squares (log10 units)
  double sigma = 0;          // residual standard error, sqrt(rss / dof)
  double r2 = 0;             // coefficient of determination
  double adj_r2 = 0;         // adjusted R²
  double confidence = 0.95;  // level of the intervals
  double t_crit = 0;         // Student-t quantile at (1 + confidence) / 2, dof

  // The law's prediction at x (one value per variable), in y's units.
  double Predict(const std::vector<double>& x) const;
};

// Fits log10 y on log10 x. Throws ConfigError for bad input (see CheckFitData).
LogLinearFit FitLogLinear(const FitData& data, const LogLinearOptions& options = {});

// A prediction with its intervals, all in y's units (10^ of the log10-space interval).
struct LogLinearPrediction {
  double value = 0;     // 10^(x̃ᵀβ)
  double log10_se = 0;  // standard error of the mean prediction, log10 units
  double ci_low = 0;    // confidence interval of the law's mean at x
  double ci_high = 0;
  double pi_low = 0;  // prediction interval for a new observation at x
  double pi_high = 0;
};

LogLinearPrediction PredictLogLinear(const LogLinearFit& fit, const std::vector<double>& x);

}  // namespace florenz
