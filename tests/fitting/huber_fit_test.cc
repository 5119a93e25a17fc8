// The additive law recovers the parameters of noise-free data (2 variables and 1), the
// compute-optimal allocation matches a numerical minimum, bad input is a ConfigError and a fit
// that converges from no start a SolverError. The vectorised search objective matches a scalar
// std::exp / std::log evaluation, and a fit leaves glog's settings alone.
#include "fitting/huber_fit.h"

#include <glog/logging.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/errors.h"
#include "fitting/compute_optimal.h"
#include "fitting/huber_objective.h"
#include "fitting/lbfgs_search.h"
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

// First in this file so that, run in order, it is the process's first fit: a fit used to
// quieten glog for the whole process on its first call.
TEST(HuberFitTest, LeavesGlogLogLevelAsTheCallerSetIt) {
  const int before = FLAGS_minloglevel;
  FLAGS_minloglevel = google::GLOG_WARNING;
  FitAdditive(testing::ChinchillaGrid(4, 4), FewStarts());
  EXPECT_EQ(FLAGS_minloglevel, google::GLOG_WARNING);
  FLAGS_minloglevel = google::GLOG_INFO;
  FitAdditive(testing::ChinchillaGrid(4, 4), FewStarts());
  EXPECT_EQ(FLAGS_minloglevel, google::GLOG_INFO);
  FLAGS_minloglevel = before;
}

// Σ Huber(LSE − log y) and its gradient the plain way, layout [e, a_1, α_1, …].
double ReferenceObjective(const FitData& data, bool has_e, double delta,
                          const std::vector<double>& p, std::vector<double>* gradient) {
  gradient->assign(p.size(), 0.0);
  double sum = 0;
  for (int i = 0; i < data.size(); ++i) {
    std::vector<double> z;
    if (has_e) z.push_back(p[0]);
    for (int j = 0; j < data.variables(); ++j) {
      z.push_back(p[has_e + 2 * j] - p[has_e + 2 * j + 1] * std::log(data.x[j][i]));
    }
    double m = z[0], total = 0;
    for (const double v : z) m = std::max(m, v);
    for (double& v : z) total += (v = std::exp(v - m));
    const double r = m + std::log(total) - std::log(data.y[i]);
    sum += std::fabs(r) <= delta ? 0.5 * r * r : delta * (std::fabs(r) - 0.5 * delta);
    const double dh = std::max(-delta, std::min(delta, r)) / total;
    if (has_e) (*gradient)[0] += dh * z[0];
    for (int j = 0; j < data.variables(); ++j) {
      (*gradient)[has_e + 2 * j] += dh * z[has_e + j];
      (*gradient)[has_e + 2 * j + 1] -= dh * z[has_e + j] * std::log(data.x[j][i]);
    }
  }
  return sum;
}

TEST(HuberObjectiveTest, VectorisedObjectiveMatchesScalarEvaluation) {
  FitData two = testing::ChinchillaGrid(5, 7);  // 35 points: a partly padded last block
  for (int i = 0; i < two.size(); ++i) two.y[i] *= 1.0 + 0.03 * std::sin(3.0 * i);
  FitData one;
  one.x_names = {"C"};
  one.x.resize(1);
  for (int i = 0; i < 9; ++i) {
    one.x[0].push_back(1e18 * std::pow(10.0, 0.5 * i));
    one.y.push_back(2.0 + 900.0 / std::pow(one.x[0][i], 0.05) * (1.0 + 0.01 * std::cos(i)));
  }
  struct Case {
    const FitData* data;
    bool has_e;
    std::vector<double> p;
  };
  const std::vector<Case> cases = {
      {&two, true, {0.5, 6.0, 0.34, 6.0, 0.28}},  // near the truth: residuals within δ
      {&two, true, {-1.0, 25.0, 0.0, 0.0, 2.0}},  // a grid corner: every residual beyond δ
      {&two, true, {1.0, 0.0, -3.0, 20.0, 1.5}},  // a negative exponent: huge terms
      {&two, false, {6.0, 0.34, 6.0, 0.28}},      // no irreducible term
      {&one, true, {0.7, 6.8, 0.05}},             // one variable
      {&one, false, {6.8, 0.05}},                 //   without E
  };
  const std::string best = SummedHuberObjective::Isa();
  for (const Case& c : cases) {
    for (const char* isa : {"baseline", "avx2", "avx512"}) {
      if (!SummedHuberObjective::UseIsa(isa)) continue;  // not on this CPU
      const SummedHuberObjective objective(*c.data, c.has_e, 1e-3);
      ASSERT_EQ(objective.NumParameters(), static_cast<int>(c.p.size()));
      std::vector<double> expected_gradient, gradient(c.p.size());
      const double expected = ReferenceObjective(*c.data, c.has_e, 1e-3, c.p, &expected_gradient);
      const double cost = objective.Evaluate(c.p.data(), gradient.data());
      EXPECT_NEAR(cost, expected, 1e-13 * expected) << isa;
      EXPECT_EQ(objective.Evaluate(c.p.data(), nullptr), cost);
      double scale = 0;
      for (const double g : expected_gradient) scale = std::max(scale, std::fabs(g));
      for (size_t q = 0; q < c.p.size(); ++q) {
        EXPECT_NEAR(gradient[q], expected_gradient[q], 1e-12 * scale) << "parameter " << q;
      }
    }
  }
  EXPECT_TRUE(SummedHuberObjective::UseIsa(best.c_str()));
  EXPECT_FALSE(SummedHuberObjective::UseIsa("sse9"));
  const SummedHuberObjective objective(two, true, 1e-3);
  const double bad[] = {0.5, 6.0, std::numeric_limits<double>::infinity(), 6.0, 0.28};
  EXPECT_FALSE(std::isfinite(objective.Evaluate(bad, nullptr)));
}

TEST(HuberObjectiveTest, ExpAndLogAreWithinAFewUlp) {
  for (int i = 0; i <= 200000; ++i) {
    const double x = -700.0 * i / 200000.0;
    const double expected = std::exp(x);
    EXPECT_NEAR(SimdExpNonPositive(x), expected, 1e-15 * expected) << x;
  }
  EXPECT_EQ(SimdExpNonPositive(0.0), 1.0);  // the max term of the log-sum-exp is exactly 1
  for (int i = 0; i <= 200000; ++i) {
    const double s = 1.0 + 16.0 * i / 200000.0;
    const double expected = std::log(s);
    EXPECT_NEAR(SimdLogAtLeastOne(s), expected, 1e-15 * expected + 1e-300) << s;
  }
}

TEST(LbfgsSearchTest, ConvergesAndIsRepeatable) {
  const FitData data = testing::ChinchillaGrid(6, 6);
  const SummedHuberObjective objective(data, true, 1e-3);
  LbfgsOptions options;
  options.max_iterations = 500;
  std::vector<double> p = {0.0, 5.0, 0.5, 5.0, 0.5}, again = p;
  const LbfgsSummary summary = MinimizeLbfgs(objective, options, p.data());
  EXPECT_TRUE(summary.usable);
  EXPECT_TRUE(summary.converged);
  EXPECT_LT(summary.cost, 1e-8);
  EXPECT_EQ(summary.cost, objective.Evaluate(p.data(), nullptr));
  MinimizeLbfgs(objective, options, again.data());
  EXPECT_EQ(p, again);
  std::vector<double> bad = {0.0, 5.0, std::numeric_limits<double>::quiet_NaN(), 5.0, 0.5};
  EXPECT_FALSE(MinimizeLbfgs(objective, options, bad.data()).usable);
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
  EXPECT_EQ(one.converged_starts, two.converged_starts);
  options.threads = 3;
  const AdditiveFit three = FitAdditive(data, options);
  EXPECT_EQ(one.best_start, three.best_start);
  EXPECT_EQ(one.Parameters(), three.Parameters());
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

// Not converging is a run-time failure of good input (SolverError, exit 1), not bad input.
TEST(HuberFitTest, NonConvergenceIsASolverErrorWithCeresReport) {
  HuberFitOptions options = FewStarts();
  options.max_iterations = 1;
  options.search_max_iterations = 1;
  try {
    FitAdditive(testing::ChinchillaGrid(4, 4), options);
    FAIL() << "expected a SolverError";
  } catch (const SolverError& e) {
    EXPECT_NE(std::string(e.what()).find("synthetic: the additive fit of 'loss' did not converge"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Ceres Solver Report"), std::string::npos) << e.what();
  }
}

TEST(HuberFitTest, TooFewPointsIsAConfigError) {
  const FitData data = testing::ChinchillaGrid(2, 2);  // 4 points, 5 parameters
  EXPECT_THROW(FitAdditive(data, FewStarts()), ConfigError);
}

}  // namespace
}  // namespace florenz
