// The additive law recovers the parameters of noise-free data (2 variables and 1), the
// compute-optimal allocation matches a numerical minimum, and bad input is a ConfigError.
#include "fitting/huber_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "fitting/compute_optimal.h"
#include "tests/fitting/synthetic.h"

namespace florenz {
namespace {

// A coarser grid than Hoffmann's 4,500 starts keeps the test fast; the bench runs the full grid.
HuberFitOptions FewStarts() {
  HuberFitOptions options;
  options.exponent_starts = {0.0, 1.0};
  options.log_irreducible_starts = {-1.0, 0.5};
  options.log_coefficient_starts = {0.0, 10.0};
  options.threads = 2;
  return options;
}

void ExpectRelative(double actual, double expected, double tolerance, const char* what) {
  EXPECT_NEAR(actual / expected, 1.0, tolerance) << what << ": " << actual << " vs " << expected;
}

TEST(HuberFitTest, RecoversChinchillaFromNoiseFreeData) {
  const testing::ChinchillaLaw law;
  const FitData data = testing::ChinchillaGrid(6, 6, law);
  const AdditiveFit fit = FitAdditive(data, FewStarts());
  EXPECT_EQ(fit.starts, 2 * 16);
  ExpectRelative(fit.irreducible, law.e, 1e-6, "E");
  ExpectRelative(fit.coefficient[0], law.a, 1e-6, "A");
  ExpectRelative(fit.exponent[0], law.alpha, 1e-6, "alpha");
  ExpectRelative(fit.coefficient[1], law.b, 1e-6, "B");
  ExpectRelative(fit.exponent[1], law.beta, 1e-6, "beta");
  EXPECT_LT(fit.objective, 1e-20);
  EXPECT_NEAR(HuberObjective(fit, data, 1e-3), fit.objective, 1e-18);
}

TEST(HuberFitTest, DefaultGridIsHoffmanns4500Starts) {
  EXPECT_EQ(HuberFitOptions{}.StartCount(2), 4500);
  EXPECT_EQ(HuberFitOptions{}.StartCount(1), 150);
}

TEST(HuberFitTest, SingleVariableLawRecoversParameters) {
  for (const char* name : {"N", "D"}) {
    FitData data;
    data.source = "synthetic";
    data.x_names = {name};
    data.x.resize(1);
    for (int i = 0; i < 8; ++i) {
      const double x = 1e7 * std::pow(10.0, 0.5 * i);
      data.x[0].push_back(x);
      data.y.push_back(2.1 + 350.0 / std::pow(x, 0.31));
    }
    HuberFitOptions options;  // the single-variable default grid: 150 starts
    options.threads = 2;
    const AdditiveFit fit = FitAdditive(data, options);
    ExpectRelative(fit.irreducible, 2.1, 1e-6, "E");
    ExpectRelative(fit.coefficient[0], 350.0, 1e-6, "A");
    ExpectRelative(fit.exponent[0], 0.31, 1e-6, "alpha");
  }
}

TEST(HuberFitTest, ResultDoesNotDependOnThreads) {
  FitData data = testing::ChinchillaGrid(4, 5);
  for (int i = 0; i < data.size(); ++i) data.y[i] *= 1.0 + 0.02 * std::sin(7.0 * i);
  HuberFitOptions options = FewStarts();
  options.threads = 1;
  const AdditiveFit one = FitAdditive(data, options);
  options.threads = 2;
  const AdditiveFit two = FitAdditive(data, options);
  EXPECT_EQ(one.best_start, two.best_start);
  EXPECT_EQ(one.Parameters(), two.Parameters());
}

TEST(HuberFitTest, ComputeOptimalAllocationMinimisesLossAtFixedCompute) {
  const testing::ChinchillaLaw law;
  AdditiveFit fit;
  fit.x_names = {"N", "D"};
  fit.irreducible = law.e;
  fit.coefficient = {law.a, law.b};
  fit.exponent = {law.alpha, law.beta};
  const ComputeOptimal opt = ComputeOptimalAllocation(fit, 0, 1);
  ExpectRelative(opt.a, law.beta / (law.alpha + law.beta), 1e-12, "a");
  for (const double c : {1e20, 1e23}) {
    // Golden-section search of L(N, C / 6N) over log N.
    double lo = std::log(1e6), hi = std::log(1e14);
    const double phi = 0.5 * (std::sqrt(5.0) - 1.0);
    auto loss = [&](double log_n) {
      const double n = std::exp(log_n);
      return law(n, c / (6 * n));
    };
    for (int i = 0; i < 200; ++i) {
      const double m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
      (loss(m1) < loss(m2) ? hi : lo) = (loss(m1) < loss(m2) ? m2 : m1);
    }
    ExpectRelative(opt.NOpt(c), std::exp(0.5 * (lo + hi)), 1e-6, "N_opt");
    ExpectRelative(6 * opt.NOpt(c) * opt.DOpt(c), c, 1e-12, "6 N D = C");
  }
}

TEST(HuberFitTest, NonConvergenceIsAConfigErrorWithCeresReport) {
  HuberFitOptions options = FewStarts();
  options.max_iterations = 1;
  options.search_max_iterations = 1;
  try {
    FitAdditive(testing::ChinchillaGrid(4, 4), options);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did not converge"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Ceres Solver Report"), std::string::npos) << e.what();
  }
}

TEST(HuberFitTest, TooFewPointsIsAConfigError) {
  const FitData data = testing::ChinchillaGrid(2, 2);  // 4 points, 5 parameters
  EXPECT_THROW(FitAdditive(data, FewStarts()), ConfigError);
}

}  // namespace
}  // namespace florenz
