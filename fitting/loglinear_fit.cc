// Ordinary least squares for the log-linear law (see loglinear_fit.h): a QR solve for the
// coefficients, (XᵀX)⁻¹ for their covariance, and Student-t intervals with n − k − 1 degrees of
// freedom.
#include "fitting/loglinear_fit.h"

#include <cmath>

#include "core/errors.h"
#include "fitting/student_t.h"

namespace florenz {
namespace {

Eigen::VectorXd DesignRow(const std::vector<double>& x) {
  Eigen::VectorXd row(x.size() + 1);
  row(0) = 1.0;
  for (size_t j = 0; j < x.size(); ++j) row(j + 1) = std::log10(x[j]);
  return row;
}

}  // namespace

double LogLinearFit::Predict(const std::vector<double>& x) const {
  return std::pow(10.0, DesignRow(x).dot(coef));
}

LogLinearFit FitLogLinear(const FitData& data, const LogLinearOptions& options) {
  const int k = data.variables() + 1;
  if (options.check_input) CheckFitData(data, k, "log-linear");
  const int n = data.size();
  Eigen::MatrixXd design(n, k);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    design(i, 0) = 1.0;
    for (int j = 1; j < k; ++j) design(i, j) = std::log10(data.x[j - 1][i]);
    y(i) = std::log10(data.y[i]);
  }
  LogLinearFit fit;
  fit.names.push_back("b0");
  for (const auto& name : data.x_names) fit.names.push_back("b_" + name);
  fit.n = n;
  fit.dof = n - k;
  fit.confidence = options.confidence;
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
  if (qr.rank() < k) {
    throw ConfigError(SourceLocation{data.source, 0, 0},
                      "the log-linear design is rank-deficient (a variable is constant or a "
                      "power of another): cannot separate the exponents");
  }
  fit.coef = qr.solve(y);
  const Eigen::VectorXd residual = y - design * fit.coef;
  fit.rss = residual.squaredNorm();
  fit.sigma = std::sqrt(fit.rss / fit.dof);
  const double tss = (y.array() - y.mean()).square().sum();
  fit.r2 = tss > 0 ? 1.0 - fit.rss / tss : 1.0;
  fit.adj_r2 = 1.0 - (1.0 - fit.r2) * (n - 1) / fit.dof;
  fit.xtx_inv = (design.transpose() * design).inverse();
  fit.cov = fit.sigma * fit.sigma * fit.xtx_inv;
  fit.se = fit.cov.diagonal().array().sqrt();
  fit.t_crit = StudentTQuantile(0.5 * (1.0 + options.confidence), fit.dof);
  fit.t.resize(k);
  fit.p.resize(k);
  for (int j = 0; j < k; ++j) {
    fit.t(j) = fit.coef(j) / fit.se(j);
    fit.p(j) = StudentTTwoSidedP(fit.t(j), fit.dof);
  }
  fit.ci_low = fit.coef - fit.t_crit * fit.se;
  fit.ci_high = fit.coef + fit.t_crit * fit.se;
  return fit;
}

LogLinearPrediction PredictLogLinear(const LogLinearFit& fit, const std::vector<double>& x) {
  const Eigen::VectorXd row = DesignRow(x);
  const double mean = row.dot(fit.coef);
  const double leverage = row.dot(fit.xtx_inv * row);
  LogLinearPrediction p;
  p.value = std::pow(10.0, mean);
  p.log10_se = fit.sigma * std::sqrt(leverage);
  const double ci = fit.t_crit * p.log10_se;
  const double pi = fit.t_crit * fit.sigma * std::sqrt(1.0 + leverage);
  p.ci_low = std::pow(10.0, mean - ci);
  p.ci_high = std::pow(10.0, mean + ci);
  p.pi_low = std::pow(10.0, mean - pi);
  p.pi_high = std::pow(10.0, mean + pi);
  return p;
}

}  // namespace florenz
