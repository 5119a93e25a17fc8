// The broken law recovers the parameters that generated its data (noise-free to 1e-6, with 0.5 %
// log-normal noise to a few percent, with and without a learning rate moving the break), reaches
// the optimum a start at the truth reaches, predicts the formula, places the turning point at the
// minimum of y in D, rejects other variables and does not depend on the number of threads.
#include "fitting/bnsl_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/errors.h"
#include "fitting/fit_driver.h"

namespace florenz {
namespace {

// y = E + A·N^−α + B·D^−β·(1 + (D/D_b)^(1/f))^(−c·f), D_b = k·N^g·lr^h, written out plainly.
// The defaults turn up (c < −β: slope +0.6 in D after the break), with the break between 4.7e3
// (N = 1e5) and 5.1e4 (N = 3e6), inside the D range 1e3…2e5 of LawGrid.
struct BrokenLaw {
  double E = 0.5, A = 1000, alpha = 0.6, B = 500, beta = 0.8, c = -1.4, f = 0.5, k = 1.5, g = 0.7;
  double h = 0;

  double operator()(double n, double d, double lr = 1) const {
    const double d_break = k * std::pow(n, g) * std::pow(lr, h);
    return E + A * std::pow(n, -alpha) +
           B * std::pow(d, -beta) * std::pow(1 + std::pow(d / d_break, 1 / f), -c * f);
  }

  // The law as a fit, for BnslFit's Predict / TurningD and as an explicit start.
  BnslFit AsFit(const std::vector<std::string>& x_names, bool has_learning_rate) const {
    BnslFit fit;
    fit.x_names = x_names;
    fit.has_learning_rate = has_learning_rate;
    fit.E = E;
    fit.A = A;
    fit.alpha = alpha;
    fit.B = B;
    fit.beta = beta;
    fit.c = c;
    fit.f = f;
    fit.k = k;
    fit.g = g;
    fit.h = h;
    return fit;
  }

  std::vector<double> Parameters(bool has_learning_rate) const {
    return AsFit({}, has_learning_rate).Parameters();
  }
};

constexpr double kPi = 3.14159265358979323846;

// A standard normal deviate by Box–Muller from the raw 64-bit draws, so that the noise (and the
// fit's result) is the same with every standard library (std::normal_distribution is not).
double Normal(std::mt19937_64* rng) {
  const double u1 = ((*rng)() >> 11) * 0x1.0p-53 + 0x1.0p-54;  // in (0, 1)
  const double u2 = ((*rng)() >> 11) * 0x1.0p-53;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

// 6 N log-spaced in 1e5…3e6 × 8 D log-spaced in 1e3…2e5 (× every learning rate in `rates`, if
// any), y multiplied by exp(σ·z) with z from a fixed-seed generator. Columns in the order of
// `x_names` (which names N, D and, with rates, the rate).
FitData LawGrid(const BrokenLaw& law, double sigma,
                const std::vector<std::string>& x_names = {"N", "D"},
                const std::vector<double>& rates = {}) {
  FitData data;
  data.source = "synthetic";
  data.x_names = x_names;
  data.y_name = "loss";
  data.x.resize(x_names.size());
  std::mt19937_64 rng(2023);
  for (const double lr : rates.empty() ? std::vector<double>{1.0} : rates) {
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 8; ++j) {
        const double n = 1e5 * std::pow(30.0, i / 5.0), d = 1e3 * std::pow(200.0, j / 7.0);
        for (size_t v = 0; v < x_names.size(); ++v) {
          data.x[v].push_back(x_names[v] == "N" ? n : x_names[v] == "D" ? d : lr);
        }
        data.y.push_back(law(n, d, lr) * std::exp(sigma * Normal(&rng)));
      }
    }
  }
  return data;
}

void ExpectRelative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_NEAR(actual / expected, 1.0, tolerance) << what << ": " << actual << " vs " << expected;
}

void ExpectAllRelative(const BnslFit& fit, const std::vector<double>& expected, double tolerance) {
  const std::vector<double> actual = fit.Parameters();
  const std::vector<std::string> names = fit.ParameterNames();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t q = 0; q < actual.size(); ++q) {
    ExpectRelative(actual[q], expected[q], tolerance, names[q]);
  }
}

BnslFitOptions TwoThreads() {
  BnslFitOptions options;
  options.threads = 2;
  return options;
}

TEST(BnslFitTest, RecoversNoiseFreeParameters) {
  const BrokenLaw law;
  const BnslFit fit = FitBnsl(LawGrid(law, 0), TwoThreads());
  EXPECT_FALSE(fit.has_learning_rate);
  EXPECT_EQ(fit.ParameterNames(),
            (std::vector<std::string>{"E", "A", "alpha", "B", "beta", "c", "f", "k", "g"}));
  ExpectAllRelative(fit, law.Parameters(false), 1e-6);
  EXPECT_LT(fit.objective, 1e-20);
  EXPECT_EQ(fit.n, 48);
  EXPECT_EQ(fit.starts, 144);
  EXPECT_GT(fit.converged_starts, 0);
  EXPECT_NE(fit.ceres_report.find("CONVERGENCE"), std::string::npos) << fit.ceres_report;
}

// With σ = 0.5 % the estimates scatter (over 30 seeds, rms: E 1.5 %, α 2.4 %, β, c 0.9 %,
// g 0.5 %, the turning point 0.9 %; A and k, which trade off against α and g, more), so the
// tolerances are 5 %; what must hold exactly is that no start reaches a lower objective than the
// grid's winner, e.g. one at the truth.
TEST(BnslFitTest, RecoversParametersFromNoisyData) {
  const BrokenLaw law;
  const FitData data = LawGrid(law, 0.005);
  const BnslFit fit = FitBnsl(data, TwoThreads());
  ExpectRelative(fit.E, law.E, 0.05, "E");
  ExpectRelative(fit.alpha, law.alpha, 0.05, "alpha");
  ExpectRelative(fit.beta, law.beta, 0.05, "beta");
  ExpectRelative(fit.c, law.c, 0.05, "c");
  ExpectRelative(fit.g, law.g, 0.05, "g");
  const BnslFit truth = law.AsFit(data.x_names, false);
  ExpectRelative(fit.TurningD(3e6), truth.TurningD(3e6), 0.05, "turning D at N = 3e6");

  BnslFitOptions from_truth = TwoThreads();
  from_truth.starts = {truth.SolverParameters()};
  const BnslFit local = FitBnsl(data, from_truth);
  EXPECT_EQ(local.starts, 1);
  EXPECT_LE(fit.objective, local.objective * (1 + 1e-9));

  // Restarting from the solution (what the bootstrap does) stays there.
  BnslFitOptions from_fit = TwoThreads();
  from_fit.starts = {fit.SolverParameters()};
  const BnslFit again = FitBnsl(data, from_fit);
  ExpectAllRelative(again, fit.Parameters(), 1e-6);
}

// The break also moves with the learning rate (D_b ∝ lr^−0.5 here); the variables come in
// another order.
TEST(BnslFitTest, RecoversLearningRateDependence) {
  BrokenLaw law;
  law.h = -0.5;
  law.k = 1.5 * std::pow(3e-3, 0.5);  // the same breaks as without a rate at lr = 3e-3
  const FitData data = LawGrid(law, 0, {"D", "learning_rate", "N"}, {1e-3, 3e-3, 1e-2});
  const BnslFit fit = FitBnsl(data, TwoThreads());
  EXPECT_TRUE(fit.has_learning_rate);
  EXPECT_EQ(fit.ParameterNames().back(), "h");
  EXPECT_EQ(fit.starts, 288);
  ExpectAllRelative(fit, law.Parameters(true), 1e-6);
  ExpectRelative(fit.BreakD(1e6, 1e-2), law.k * std::pow(1e6, law.g) * std::pow(1e-2, law.h), 1e-6,
                 "break D");
}

TEST(BnslFitTest, PredictsTheFormula) {
  BrokenLaw law;
  law.h = 0.3;
  const BnslFit fit = law.AsFit({"lr", "D", "N"}, true);
  const double n = 4e5, d = 2e4, lr = 0.02;
  const double d_break = 1.5 * std::pow(n, 0.7) * std::pow(lr, 0.3);
  const double by_hand = 0.5 + 1000 / std::pow(n, 0.6) +
                         500 / std::pow(d, 0.8) * std::pow(1 + std::pow(d / d_break, 2), 0.7);
  EXPECT_NEAR(fit.Predict({lr, d, n}), by_hand, 1e-12 * by_hand);
  EXPECT_NEAR(fit.BreakD(n, lr), d_break, 1e-12 * d_break);
}

// The turning point is where y is lowest over D (the E and N terms do not depend on D); no
// turning point when the D term only falls.
TEST(BnslFitTest, TurningPointIsTheMinimumInD) {
  const BrokenLaw law;
  const BnslFit fit = law.AsFit({"N", "D"}, false);
  for (const double n : {1e5, 3e6}) {
    const double step = std::log(1e7 / 1e2) / 200000;
    double best_d = 0, best_y = std::numeric_limits<double>::infinity();
    for (int i = 0; i <= 200000; ++i) {
      const double d = 1e2 * std::exp(i * step);
      const double y = fit.Predict({n, d});
      if (y < best_y) {
        best_y = y;
        best_d = d;
      }
    }
    ExpectRelative(fit.TurningD(n), best_d, 1e-4, "turning D at N = " + std::to_string(n));
  }
  BnslFit falls = fit;
  falls.c = 0.5;  // steeper after the break
  EXPECT_TRUE(std::isnan(falls.TurningD(1e6)));
  falls.c = -0.3;  // flatter after the break, but still falling (−β − c = −0.5)
  EXPECT_TRUE(std::isnan(falls.TurningD(1e6)));
}

TEST(BnslFitTest, RejectsOtherVariables) {
  const FitData good = LawGrid(BrokenLaw(), 0);
  FitData no_d = good;
  no_d.x_names = {"N", "C"};
  EXPECT_THROW(FitBnsl(no_d), ConfigError);
  FitData twice = good;
  twice.x_names = {"N", "N"};
  EXPECT_THROW(FitBnsl(twice), ConfigError);
  FitData fourth = LawGrid(BrokenLaw(), 0, {"N", "D", "lr"}, {1e-3, 1e-2});
  fourth.x_names.push_back("batch_size");
  fourth.x.push_back(fourth.x[2]);
  try {
    FitBnsl(fourth);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("batch_size"), std::string::npos) << e.what();
  }
  FitData unknown = good;
  unknown.x_names = {"N", "D", "tokens"};
  unknown.x.push_back(good.x[1]);
  EXPECT_THROW(FitBnsl(unknown), ConfigError);

  BnslFitOptions wrong_start;
  wrong_start.starts = {std::vector<double>(10, 0.0)};  // 10 values, the law without a rate has 9
  EXPECT_THROW(FitBnsl(good, wrong_start), ConfigError);
  BnslFitOptions bad_delta;
  bad_delta.huber_delta = 0;
  EXPECT_THROW(FitBnsl(good, bad_delta), ConfigError);
  FitData few = good.Subset({0, 1, 2, 3, 9, 10, 11, 12, 13});  // 9 points, 9 parameters
  EXPECT_THROW(FitBnsl(few), ConfigError);
}

// A start the law cannot be evaluated at (f = e^100) gives no solution: a SolverError.
TEST(BnslFitTest, NoFiniteSolutionIsASolverError) {
  const FitData data = LawGrid(BrokenLaw(), 0);
  std::vector<double> start = BrokenLaw().AsFit(data.x_names, false).SolverParameters();
  start[6] = 100;  // log f
  BnslFitOptions options;
  options.starts = {start};
  try {
    FitBnsl(data, options);
    ADD_FAILURE() << "no SolverError";
  } catch (const SolverError& e) {
    EXPECT_NE(std::string(e.what()).find("Ceres Solver Report"), std::string::npos) << e.what();
  }
}

TEST(BnslFitTest, ResultDoesNotDependOnThreads) {
  const FitData data = LawGrid(BrokenLaw(), 0.005);
  BnslFitOptions options;
  options.threads = 1;
  const BnslFit one = FitBnsl(data, options);
  options.threads = 2;
  const BnslFit two = FitBnsl(data, options);
  EXPECT_EQ(one.best_start, two.best_start);
  EXPECT_EQ(one.Parameters(), two.Parameters());
  EXPECT_EQ(one.objective, two.objective);
  EXPECT_EQ(one.converged_starts, two.converged_starts);
}

// Through `florenz fit`'s driver (--law bnsl): the variables by their column names, the break
// at the smallest and the largest N with bootstrap intervals, a note per N with its break and
// turning point, and a held-out size predicted from the others.
TEST(BnslFitTest, TheDriverReportsBreaksAndTurningPointsAndPredictsAHeldOutSize) {
  FitData data = LawGrid(BrokenLaw(), 0.005);
  data.x_names = {"params", "samples"};  // as `--x params,samples` names them
  for (int i = 0; i < data.size(); ++i) {
    data.sizes.push_back(data.x[0][i] > 2.5e6 ? "largest" : "smaller");
    data.samples.push_back(data.x[1][i]);
  }
  FitOptions options;
  options.law = Law::kBnsl;
  options.threads = 2;
  options.holdout_size = "largest";
  options.bootstrap = 20;
  const FitReport report = RunFit(data, options);
  EXPECT_EQ(report.parameters.size(), 9u);
  ASSERT_EQ(report.derived.size(), 2u);
  EXPECT_EQ(report.derived[1].name, "D_break(N=3e+06)");
  EXPECT_NEAR(report.derived[1].value / BrokenLaw().AsFit({}, false).BreakD(3e6), 1.0, 0.1);
  EXPECT_LT(report.derived[1].low, report.derived[1].value);
  EXPECT_GT(report.derived[1].high, report.derived[1].value);
  int turning_notes = 0;
  for (const std::string& note : report.notes) {
    turning_notes += note.find(": break at D=") != std::string::npos &&
                     note.find("turns up at D=") != std::string::npos;
    EXPECT_EQ(note.find("warning"), std::string::npos) << note;
  }
  EXPECT_EQ(turning_notes, 7);  // one per N, and the held-out N again from the fit without it
  ASSERT_EQ(report.turns.size(), 7u);
  const FitTurn& held = report.turns.back();
  EXPECT_TRUE(held.held_out);
  EXPECT_NEAR(held.turning_d / BrokenLaw().AsFit({}, false).TurningD(held.n), 1.0, 0.1);
  ASSERT_EQ(report.holdout.size(), 8u);  // the largest N's 8 budgets
  EXPECT_LT(report.holdout_mean_abs_error, 0.03);
  EXPECT_GE(report.holdout_inside, 6);
}

// A law whose break lies beyond the largest budget for every N: the fit reports it and warns
// that the data cannot place it.
TEST(BnslFitTest, ABreakOutsideTheFittedRangeIsWarnedAbout) {
  BrokenLaw late;
  late.k = 2000;  // D_b from 6e5 (N = 1e5) to 6e6 (N = 3e6): beyond 2e5
  FitOptions options;
  options.law = Law::kBnsl;
  options.threads = 2;
  const FitReport report = RunFit(LawGrid(late, 0.005), options);
  int warnings = 0;
  for (const std::string& note : report.notes) {
    warnings += note.find("warning: the break lies outside the fitted D range [1000, 2e+05]") !=
                std::string::npos;
  }
  EXPECT_GE(warnings, 1) << FitReportText(report);
}

}  // namespace
}  // namespace florenz
