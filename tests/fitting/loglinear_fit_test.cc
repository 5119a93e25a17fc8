// OLS statistics of the log-linear law against a worked example, and exact recovery of the
// exponents from noise-free data.
#include "fitting/loglinear_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "fitting/student_t.h"

namespace florenz {
namespace {

// 12 points: N ∈ {1e7, 3e7, 1e8, 3e8} × D ∈ {1e6, 3e6, 1e7}, hand-picked losses.
FitData WorkedExample() {
  FitData data;
  data.source = "worked.csv";
  data.x_names = {"N", "D"};
  data.y_name = "loss";
  data.x = {{1e7, 1e7, 1e7, 3e7, 3e7, 3e7, 1e8, 1e8, 1e8, 3e8, 3e8, 3e8},
            {1e6, 3e6, 1e7, 1e6, 3e6, 1e7, 1e6, 3e6, 1e7, 1e6, 3e6, 1e7}};
  data.y = {3.10, 2.95, 2.90, 2.80, 2.71, 2.60, 2.52, 2.45, 2.37, 2.30, 2.21, 2.16};
  return data;
}

// Expected values computed independently with Debian's NumPy 1.24 / SciPy 1.10:
// np.linalg.lstsq on [1, log10 N, log10 D] vs log10 L; se = sqrt(diag(s² (XᵀX)⁻¹));
// p = 2 · scipy.stats.t.sf(|t|, 9); tc = scipy.stats.t.ppf(0.975, 9)
// (script: tests/fitting/ols_worked_example.py). SciPy's t quantile (cephes stdtrit) is good to
// ~1e-10 relative: scipy.stats.t.cdf(2.2621571627409915, 9) = 0.9749999999976622, while ours
// gives 0.975 to 1e-16 (t.cdf of our 2.2621571627982036 is 0.9749999999999999). Hence the 1e-10
// tolerance on everything that uses the quantile.
TEST(LogLinearFitTest, MatchesWorkedExample) {
  const LogLinearFit fit = FitLogLinear(WorkedExample());
  ASSERT_EQ(fit.dof, 9);
  const double coef[] = {1.2623137738182182, -0.08601989634621476, -0.02868945377330412};
  const double se[] = {0.01691437341431285, 0.00144111319915686, 0.00195491812372282};
  const double p[] = {7.0436783512556409e-14, 5.2393947555275747e-13, 1.3638677379474305e-07};
  const double tc = 2.2621571627409915;
  EXPECT_NEAR(fit.t_crit, tc, 1e-10);
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(fit.coef(j), coef[j], 1e-12) << j;
    EXPECT_NEAR(fit.se(j), se[j], 1e-12) << j;
    EXPECT_NEAR(fit.p(j) / p[j], 1.0, 1e-8) << j;
    EXPECT_NEAR(fit.ci_low(j), coef[j] - tc * se[j], 1e-10) << j;
    EXPECT_NEAR(fit.ci_high(j), coef[j] + tc * se[j], 1e-10) << j;
  }
  EXPECT_NEAR(fit.r2, 0.9976236084836625, 1e-12);

  const LogLinearPrediction at = PredictLogLinear(fit, {1e9, 1e7});
  EXPECT_NEAR(at.value, 1.9377981202672312, 1e-12);
  EXPECT_NEAR(at.ci_low, 1.9155227891787052, 1e-10);
  EXPECT_NEAR(at.ci_high, 1.960332487885057, 1e-10);
  EXPECT_NEAR(at.pi_low, 1.9023325741459414, 1e-10);
  EXPECT_NEAR(at.pi_high, 1.9739248572753174, 1e-10);
}

TEST(LogLinearFitTest, StudentTMatchesScipy) {
  EXPECT_NEAR(StudentTCdf(-1.3, 7.5), 0.11606338940780428, 1e-13);  // t.cdf(-1.3, 7.5)
  // t.cdf(1.6377443572159069, 3) = 0.9000000003606063: SciPy's t.ppf(0.9, 3) is 3.5e-9 off.
  EXPECT_NEAR(StudentTCdf(1.6377443572159069, 3), 0.9000000003606063, 1e-13);
  EXPECT_NEAR(StudentTQuantile(0.9, 3), 1.637744357215907, 1e-8);
  EXPECT_NEAR(StudentTCdf(StudentTQuantile(0.9, 3), 3), 0.9, 1e-15);
}

TEST(LogLinearFitTest, RecoversNoiseFreeExponents) {
  FitData data = WorkedExample();
  for (int i = 0; i < data.size(); ++i) {
    data.y[i] = 31.0 * std::pow(data.x[0][i], -0.16) * std::pow(data.x[1][i], -0.04);
  }
  const LogLinearFit fit = FitLogLinear(data);
  EXPECT_NEAR(std::pow(10.0, fit.coef(0)) / 31.0, 1.0, 1e-6);
  EXPECT_NEAR(fit.coef(1) / -0.16, 1.0, 1e-6);
  EXPECT_NEAR(fit.coef(2) / -0.04, 1.0, 1e-6);
}

TEST(LogLinearFitTest, SingleVariableLaw) {
  FitData data;
  data.x_names = {"C"};
  data.x = {{1e15, 1e16, 1e17, 1e18}};
  for (double c : data.x[0]) data.y.push_back(50.0 * std::pow(c, -0.15));
  const LogLinearFit fit = FitLogLinear(data);
  EXPECT_NEAR(fit.coef(1) / -0.15, 1.0, 1e-6);
  EXPECT_NEAR(fit.Predict({1e19}) / (50.0 * std::pow(1e19, -0.15)), 1.0, 1e-9);
}

TEST(LogLinearFitTest, BadInputIsAConfigError) {
  FitData data = WorkedExample();
  data.y[3] = -1;
  EXPECT_THROW(FitLogLinear(data), ConfigError);
  data = WorkedExample();
  data.x[1].assign(12, 1e6);  // one distinct value
  try {
    FitLogLinear(data);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'D'"), std::string::npos) << e.what();
  }
  data = WorkedExample().Subset({0, 1, 4});  // 3 points, 3 parameters
  EXPECT_THROW(FitLogLinear(data), ConfigError);
}

}  // namespace
}  // namespace florenz
