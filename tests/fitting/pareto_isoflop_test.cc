// The compute law on the Pareto frontier and the isoFLOP analysis recover the parameters of
// noise-free data; a budget whose minimum lies outside its sizes is flagged.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "fitting/isoflop.h"
#include "fitting/pareto.h"

namespace florenz {
namespace {

TEST(ParetoTest, FrontierKeepsOnlyUndominatedPoints) {
  const std::vector<double> c = {1, 2, 2, 3, 4, 5};
  const std::vector<double> l = {5, 4, 3, 3.5, 2, 2};
  EXPECT_EQ(ParetoFrontier(c, l), (std::vector<int>{0, 2, 4}));
}

// Frontier points on L = [E +] a C^b, plus dominated points 10% above the law.
FitData ComputeData(double e, double a, double b) {
  FitData data;
  data.source = "synthetic";
  data.x_names = {"C"};
  data.x.resize(1);
  for (int i = 0; i < 10; ++i) {
    const double c = 1e15 * std::pow(10.0, 0.5 * i);
    data.x[0].push_back(c);
    data.y.push_back(e + a * std::pow(c, b));
    data.x[0].push_back(c * 1.5);
    data.y.push_back(1.1 * (e + a * std::pow(c, b)));
  }
  return data;
}

TEST(ComputeLawTest, RecoversPowerLawOnFrontier) {
  const ComputeLawFit fit = FitComputeLaw(ComputeData(0, 40.0, -0.15));
  EXPECT_EQ(fit.frontier.size(), 10u);
  EXPECT_NEAR(fit.a / 40.0, 1.0, 1e-6);
  EXPECT_NEAR(fit.b / -0.15, 1.0, 1e-6);
}

TEST(ComputeLawTest, RecoversPowerLawPlusIrreducible) {
  ComputeLawOptions options;
  options.with_irreducible = true;
  options.huber.threads = 2;
  const ComputeLawFit fit = FitComputeLaw(ComputeData(1.5, 300.0, -0.15), options);
  EXPECT_NEAR(fit.irreducible / 1.5, 1.0, 1e-6);
  EXPECT_NEAR(fit.a / 300.0, 1.0, 1e-6);
  EXPECT_NEAR(fit.b / -0.15, 1.0, 1e-6);
}

// Per budget C: log L = log(2 + 100 C^-0.1) + 0.05 (log N − log N_opt)², N_opt = G C^a.
FitData IsoflopData(double g, double a, const std::vector<double>& factors) {
  FitData data;
  data.source = "synthetic";
  data.x_names = {"N", "C"};
  data.x.resize(2);
  for (const double c : {1e18, 1e19, 1e20, 1e21}) {
    const double n_opt = g * std::pow(c, a);
    for (const double f : factors) {
      const double n = n_opt * f;
      data.x[0].push_back(n);
      data.x[1].push_back(c);
      const double dx = std::log(n) - std::log(n_opt);
      data.y.push_back(std::exp(std::log(2 + 100 * std::pow(c, -0.1)) + 0.05 * dx * dx));
    }
  }
  return data;
}

TEST(IsoflopTest, RecoversOptimalSizeLaw) {
  const IsoflopFit fit = FitIsoflop(IsoflopData(0.09, 0.5, {0.2, 0.45, 1.3, 2.9, 7.0}));
  ASSERT_EQ(fit.budgets.size(), 4u);
  for (const auto& budget : fit.budgets) EXPECT_TRUE(budget.interior);
  EXPECT_TRUE(fit.warnings.empty());
  EXPECT_NEAR(fit.a / 0.5, 1.0, 1e-6);
  EXPECT_NEAR(fit.g / 0.09, 1.0, 1e-6);
  EXPECT_NEAR(fit.NOpt(1e22) / (0.09 * std::pow(1e22, 0.5)), 1.0, 1e-6);
}

TEST(IsoflopTest, MinimumOutsideTheSizesIsNotInterior) {
  // Every size below N_opt: each parabola's minimum is an extrapolation.
  EXPECT_THROW(FitIsoflop(IsoflopData(0.09, 0.5, {0.1, 0.2, 0.4, 0.8})), ConfigError);
  IsoflopOptions options;
  options.require_interior = false;
  const IsoflopFit fit = FitIsoflop(IsoflopData(0.09, 0.5, {0.1, 0.2, 0.4, 0.8}), options);
  for (const auto& budget : fit.budgets) EXPECT_FALSE(budget.interior);
  EXPECT_EQ(fit.warnings.size(), 4u);
}

}  // namespace
}  // namespace florenz
