// Seed means (--target seed-mean): cell means, seed floors and labels computed by hand; a seed
// that changes a variable or a table without cells is a ConfigError; through LoadFitData a
// synthetic study with three seeds per cell gives one point per cell. Held-out checks by size
// and by budget, with the seed floor beside each error and cell-bootstrap prediction intervals.
#include "fitting/seed_mean.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/errors.h"
#include "fitting/fit_driver.h"
#include "fitting/fit_input.h"
#include "tests/fitting/synthetic_results.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;

// Two cells: (m, 1000) with seeds y = 2, 4, 6 and (l, 2000) with one seed y = 3.
FitData TwoCells() {
  FitData runs;
  runs.source = "r.h5";
  runs.x_names = {"N", "D"};
  runs.y_name = "loss";
  runs.x = {{10, 20, 10, 10}, {1000, 2000, 1000, 1000}};
  runs.y = {2, 3, 4, 6};
  runs.labels = {"m-1k-s0-1a2b3c4d", "l-2k-s0-5e6f7a8b", "m-1k-s1-9c0d1e2f", "m-1k-s2-3a4b5c6d"};
  runs.sizes = {"m", "l", "m", "m"};
  runs.samples = {1000, 2000, 1000, 1000};
  runs.cells = {"m|1000", "l|2000", "m|1000", "m|1000"};
  runs.compute = {5, 9, 5, 5};
  return runs;
}

TEST(SeedMeanTest, CellMeansAndSeedFloorsByHand) {
  std::vector<std::string> notes;
  const FitData cells = SeedMeans(TwoCells(), &notes);
  ASSERT_EQ(cells.size(), 2);  // in the order of each cell's first run
  EXPECT_EQ(cells.y, (std::vector<double>{4, 3}));
  EXPECT_EQ(cells.x[0], (std::vector<double>{10, 20}));
  EXPECT_EQ(cells.x[1], (std::vector<double>{1000, 2000}));
  EXPECT_EQ(cells.seeds, (std::vector<int>{3, 1}));
  // sd of 2, 4, 6 is 2; its standard error 2/√3; relative to the mean 4: 0.2887.
  EXPECT_DOUBLE_EQ(cells.seed_floor[0], 2.0 / std::sqrt(3.0) / 4.0);
  EXPECT_TRUE(std::isnan(cells.seed_floor[1]));
  EXPECT_EQ(cells.labels[0], "m-1k (3 seeds)");
  EXPECT_EQ(cells.labels[1], "l-2k (1 seed)");
  EXPECT_EQ(cells.sizes, (std::vector<std::string>{"m", "l"}));
  EXPECT_EQ(cells.compute, (std::vector<double>{5, 9}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "seed means: 4 runs in 2 cells of 1-3 seeds; each cell is one point");
}

TEST(SeedMeanTest, CellLabelsDropTheSeedAndTheHash) {
  EXPECT_EQ(CellLabel("m-80k-s2-lr0.003-1a2b3c4d"), "m-80k-lr0.003");
  EXPECT_EQ(CellLabel("gpu-1b-2M-s10-9fe6a58a"), "gpu-1b-2M");
  EXPECT_EQ(CellLabel("s-80k-s0-1a2b3c4d"), "s-80k");  // a size named s
  EXPECT_EQ(CellLabel("row 7"), "row 7");
}

TEST(SeedMeanTest, ASeedThatChangesAVariableOrNoCellsIsAConfigError) {
  FitData runs = TwoCells();
  runs.x[0][2] = 11;
  try {
    SeedMeans(runs);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("the runs of cell m-1k differ in N "
                                                 "(m-1k-s0-1a2b3c4d and m-1k-s1-9c0d1e2f)"));
  }
  runs = TwoCells();
  runs.cells.clear();
  EXPECT_THROW(SeedMeans(runs), ConfigError);
}

// TEMP/florenz_seed_mean_<test name>: CTest runs this file's tests in parallel, each its own
// process, so each writes its own study.
std::filesystem::path ThreeSeedStudy() {
  static const std::filesystem::path dir = [] {
    const auto d = std::filesystem::temp_directory_path() /
                   (std::string("florenz_seed_mean_") +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    testing::SyntheticStudy study;
    study.seeds = 3;
    testing::WriteSyntheticStudy(d, study);
    return d;
  }();
  return dir;
}

TEST(SeedMeanTest, AStudyWithThreeSeedsFitsOnePointPerCell) {
  FitInputOptions input;
  input.path = ThreeSeedStudy().string();
  input.y = "unseen_caption";
  const FitData runs = LoadFitData(input);
  input.seed_mean = true;
  const FitData cells = LoadFitData(input);
  ASSERT_EQ(runs.size(), 48);
  ASSERT_EQ(cells.size(), 16);
  for (int c = 0; c < cells.size(); ++c) {
    double sum = 0;
    int n = 0;
    for (int r = 0; r < runs.size(); ++r) {
      if (runs.cells[r] == cells.cells[c]) sum += runs.y[r], ++n;
    }
    EXPECT_EQ(n, 3);
    EXPECT_DOUBLE_EQ(cells.y[c], sum / 3);
    EXPECT_GT(cells.seed_floor[c], 0);
  }
}

TEST(HeldOutTest, BySizeAndByBudgetWithTheSeedFloorBesideEachError) {
  FitInputOptions input;
  input.path = ThreeSeedStudy().string();
  input.y = "unseen_caption";
  input.seed_mean = true;
  const FitData cells = LoadFitData(input);
  FitOptions options;
  options.holdout_size = cells.sizes.back();  // the largest size: 4 budgets
  FitReport report = RunFit(cells, options);
  EXPECT_EQ(report.holdout_kind, "size:" + cells.sizes.back());
  ASSERT_EQ(report.holdout.size(), 4u);
  for (const FitHoldout& h : report.holdout) {
    EXPECT_EQ(h.seeds, 3);
    EXPECT_GT(h.seed_floor, 0);
    EXPECT_LT(std::fabs(h.relative_error), 0.05) << h.label;  // the law is the truth ±1 %
  }
  EXPECT_THAT(FitReportText(report), HasSubstr("held out (size " + cells.sizes.back() + ")"));
  EXPECT_THAT(FitReportText(report), HasSubstr("seed floor"));

  options.holdout_size.clear();
  options.holdout_budget_above = testing::SyntheticStudy::D(1);  // the two largest budgets
  report = RunFit(cells, options);
  ASSERT_EQ(report.holdout.size(), 8u);
  for (const FitHoldout& h : report.holdout) {
    EXPECT_GT(h.x[1], testing::SyntheticStudy::D(1)) << h.label;
  }
  EXPECT_EQ(report.holdout_kind, "budget:>100000");

  options.holdout_budget_above = 1e12;  // nothing above it
  EXPECT_THROW(RunFit(cells, options), ConfigError);
  options.holdout_budget_above = 1;  // everything above it
  EXPECT_THROW(RunFit(cells, options), ConfigError);
  options.holdout_budget_above = 0;
  options.holdout_size = "nope";
  try {
    RunFit(cells, options);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("size:nope leaves out no point (sizes: 'xs'"));
  }
  options.holdout = 2;  // two kinds at once
  EXPECT_THROW(RunFit(cells, options), ConfigError);
}

// Cells exactly on the law: every resample refits the same law and every residual is 0, so
// each held-out prediction interval is the prediction itself.
TEST(HeldOutTest, PredictionIntervalsOfAnExactLawCollapseOntoThePrediction) {
  FitData cells;
  cells.source = "exact";
  cells.x_names = {"N", "D"};
  cells.x.resize(2);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double n = 1e6 * std::pow(4.0, i), d = 1e4 * std::pow(2.0, j);
      cells.x[0].push_back(n);
      cells.x[1].push_back(d);
      cells.y.push_back(30 * std::pow(n, -0.1) * std::pow(d, -0.2));
      cells.sizes.push_back("s" + std::to_string(i));
      cells.samples.push_back(d);
    }
  }
  FitOptions options;
  options.holdout_size = "s3";
  options.bootstrap = 50;
  const FitReport report = RunFit(cells, options);
  ASSERT_EQ(report.holdout.size(), 4u);
  for (const FitHoldout& h : report.holdout) {
    EXPECT_NEAR(h.pi_low / h.actual, 1.0, 1e-9);
    EXPECT_NEAR(h.pi_high / h.actual, 1.0, 1e-9);
  }
  EXPECT_EQ(report.holdout_inside,
            0 + static_cast<int>(std::count_if(
                    report.holdout.begin(), report.holdout.end(), [](const FitHoldout& h) {
                      return h.actual >= h.pi_low && h.actual <= h.pi_high;
                    })));
}

// With noise, the interval contains the prediction, widens with the noise, and depends on the
// seed but not on the threads.
TEST(HeldOutTest, PredictionIntervalsWidenWithTheNoiseAndIgnoreTheThreads) {
  const auto noisy = [](double scale) {
    FitData cells;
    cells.source = "noisy";
    cells.x_names = {"N", "D"};
    cells.x.resize(2);
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) {
        const double n = 1e6 * std::pow(4.0, i), d = 1e4 * std::pow(2.0, j);
        cells.x[0].push_back(n);
        cells.x[1].push_back(d);
        const double wobble = scale * std::sin(7.0 * i + 3.0 * j + 1.0);
        cells.y.push_back(30 * std::pow(n, -0.1) * std::pow(d, -0.2) * std::exp(wobble));
        cells.sizes.push_back("s" + std::to_string(i));
        cells.samples.push_back(d);
      }
    }
    return cells;
  };
  FitOptions options;
  options.holdout_size = "s4";
  options.bootstrap = 200;
  options.threads = 1;
  const FitReport small = RunFit(noisy(0.01), options);
  const FitReport large = RunFit(noisy(0.02), options);
  for (const FitHoldout& h : small.holdout) {
    EXPECT_LT(h.pi_low, h.predicted);
    EXPECT_GT(h.pi_high, h.predicted);
  }
  EXPECT_GT(large.holdout_mean_half_width, 1.5 * small.holdout_mean_half_width);
  options.threads = 2;
  const FitReport two_threads = RunFit(noisy(0.01), options);
  for (size_t k = 0; k < small.holdout.size(); ++k) {
    EXPECT_EQ(two_threads.holdout[k].pi_low, small.holdout[k].pi_low);
    EXPECT_EQ(two_threads.holdout[k].pi_high, small.holdout[k].pi_high);
  }
}

}  // namespace
}  // namespace florenz
