// The study report on synthetic results folders: every view drawn from a full grid (the
// log-linear table recovers the exponents that generated the data, every <img> names a PNG
// that exists), views of metrics a grid did not record say so, too little data degrades to
// words, and a folder without results.h5 is a ConfigError that says to collect it.
#include "fitting/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/errors.h"
#include "fitting/run_selection.h"
#include "tests/fitting/synthetic_results.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path Folder(const std::string& name) { return fs::temp_directory_path() / name; }

std::string Read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const ReportSection& Section(const StudyReport& report, const std::string& id) {
  for (const auto& s : report.sections) {
    if (s.id == id) return s;
  }
  throw std::runtime_error("no section " + id);
}

StudyReport Build(const fs::path& dir) {
  ReportContext context;
  context.options.dir = dir.string();
  context.out_dir = dir / "report";
  fs::create_directories(context.out_dir);
  return BuildStudyReport(ReadFitTable(dir.string()), context);
}

TEST(ReportTest, FullGridDrawsEveryViewAndLinksExistingFigures) {
  const fs::path dir = Folder("florenz_report_test_full");
  testing::WriteSyntheticStudy(dir, {});
  ReportOptions options;
  options.dir = dir.string();
  const ReportSummary summary = WriteStudyReport(options);
  EXPECT_EQ(summary.index, dir / "report" / "index.html");
  EXPECT_EQ(summary.sections, 7);
  // compute ×3, residuals ×3, held-out UC, extrapolation ×3, BLEU, disambiguation
  EXPECT_EQ(summary.figures, 3 + 3 + 1 + 3 + 1 + 1);
  EXPECT_EQ(summary.missing, 0);
  EXPECT_EQ(summary.findings.size(), 6u);
  EXPECT_EQ(Read(dir / "report" / "findings.txt").find("- UC (unseen_caption): b_N = -0.16"), 0u);
  const std::string html = Read(summary.index);
  const std::regex img("<img src=\"([^\"]+)\"");
  int images = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator();
       ++it) {
    const fs::path png = dir / "report" / (*it)[1].str();
    EXPECT_TRUE(fs::exists(png)) << png;
    EXPECT_GT(fs::file_size(png), 10000u) << png;
    ++images;
  }
  EXPECT_EQ(images, 12);
  EXPECT_THAT(html, HasSubstr("florenz study report: synthetic"));
  EXPECT_THAT(html, HasSubstr("17 runs (16 completed, 1 failed)"));
}

TEST(ReportTest, LogLinearTableRecoversTheGeneratingExponents) {
  const fs::path dir = Folder("florenz_report_test_table");
  testing::SyntheticStudy study;
  study.wobble = 0.0;
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport report = Build(dir);
  const ReportSection& section = Section(report, "loglinear");
  ASSERT_EQ(section.tables.size(), 1u);
  const auto& rows = section.tables[0].rows;
  ASSERT_EQ(rows.size(), 3u);
  const double expected[3][2] = {{-0.16, -0.04}, {-0.15, -0.19}, {-0.13, -0.15}};  // UC ST SC
  for (int m = 0; m < 3; ++m) {
    EXPECT_NEAR(std::atof(rows[m][3].c_str()), expected[m][0], 1e-9) << rows[m][0];
    EXPECT_NEAR(std::atof(rows[m][6].c_str()), expected[m][1], 1e-9) << rows[m][0];
    EXPECT_EQ(rows[m][1], "16");
  }
  EXPECT_EQ(rows[0][10], "4");  // b_N / b_D for unseen captioning, as in the paper
  // Extrapolation: at 10× the largest model the prediction follows the law exactly.
  const ReportSection& extrapolation = Section(report, "extrapolation");
  ASSERT_EQ(extrapolation.tables.size(), 3u);
  const double n = testing::SyntheticStudy::N(3) * 10, d = testing::SyntheticStudy::D(3);
  EXPECT_NEAR(std::atof(extrapolation.tables[0].rows[1][2].c_str()),
              testing::SyntheticStudy::CrossEntropy("unseen_caption", n, d), 1e-3);
}

TEST(ReportTest, MetricsTheGridDidNotRecordAreNamedNotFatal) {
  const fs::path dir = Folder("florenz_report_test_partial");
  testing::SyntheticStudy study;
  study.bleu = false;
  study.disambiguation = false;
  testing::WriteSyntheticStudy(dir, study);
  ReportOptions options;
  options.dir = dir.string();
  const ReportSummary summary = WriteStudyReport(options);
  EXPECT_EQ(summary.figures, 10);
  EXPECT_EQ(summary.missing, 2);
  const std::string html = Read(summary.index);
  EXPECT_THAT(html, HasSubstr("BLEU was not evaluated for unseen captioning"));
  EXPECT_THAT(html, HasSubstr("Disambiguation was not evaluated"));
  EXPECT_THAT(html, HasSubstr("(incomplete)"));
}

TEST(ReportTest, TooLittleDataForAFitIsSaidInWords) {
  const fs::path dir = Folder("florenz_report_test_one_budget");
  testing::SyntheticStudy study;
  study.budgets = 1;  // D takes a single value: no log-linear law in N and D
  study.sizes = 2;    // two frontier runs: no compute law with residual degrees of freedom
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport report = Build(dir);
  const ReportSection& table = Section(report, "loglinear");
  EXPECT_TRUE(table.tables.empty());
  ASSERT_EQ(table.missing.size(), 3u);
  EXPECT_THAT(table.missing[0], HasSubstr("could not be fitted"));
  const ReportSection& compute = Section(report, "compute");
  EXPECT_EQ(compute.figures.size(), 3u);  // points and frontier are still drawn
  EXPECT_EQ(compute.missing.size(), 3u);
  EXPECT_TRUE(Section(report, "extrapolation").figures.empty());
}

TEST(ReportTest, TheCrossEntropyAfterThePrefixIsPreferredWhereRecorded) {
  const fs::path dir = Folder("florenz_report_test_excl_prefix");
  testing::SyntheticStudy study;
  study.wobble = 0.0;
  study.excl_prefix = true;
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport report = Build(dir);
  // 0.8 × the law: the intercept moves by log10 0.8, the exponents stay.
  const auto& rows = Section(report, "loglinear").tables.at(0).rows;
  EXPECT_NEAR(std::atof(rows[0][2].c_str()), std::log10(40.0 * 0.8), 6e-3);  // 3 digits
  EXPECT_NEAR(std::atof(rows[0][3].c_str()), -0.16, 1e-9);
  EXPECT_THAT(Section(report, "findings").paragraphs[0],
              HasSubstr("UC (unseen_caption_excl_prefix): b_N = -0.16"));
}

TEST(ReportTest, TheLargestSizeHeldOutIsPredictedByTheSmallerOnes) {
  const fs::path dir = Folder("florenz_report_test_holdout");
  testing::SyntheticStudy study;
  study.wobble = 0.0;  // an exact law: the held-out size is predicted exactly
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport report = Build(dir);
  const ReportSection& holdout = Section(report, "holdout");
  EXPECT_TRUE(holdout.missing.empty());
  ASSERT_EQ(holdout.figures.size(), 1u);
  const auto& rows = holdout.tables.at(0).rows;
  ASSERT_EQ(rows.size(), 3u * 4u);  // UC, ST, SC × the 4 budgets of the largest size
  for (const auto& row : rows) {
    EXPECT_EQ(row[1], "l");
    EXPECT_NEAR(std::atof(row[5].c_str()), 0.0, 1e-6) << row[0] << " " << row[2];
  }
  const auto& findings = Section(report, "findings").paragraphs;
  EXPECT_THAT(findings[5], HasSubstr("Held out l (UC, law fitted on the 3 smaller sizes)"));
  EXPECT_THAT(findings[3], HasSubstr("b_N/b_D is 4 for unseen captioning and 0.87 for seen"));

  // With a 1% wobble the law's prediction interval is wide enough for the truth.
  study.wobble = 0.01;
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport wobbly = Build(dir);
  for (const auto& row : Section(wobbly, "holdout").tables.at(0).rows) {
    EXPECT_LT(std::abs(std::atof(row[5].c_str())), 3.0) << row[0] << " " << row[2];
    EXPECT_EQ(row[7], "yes") << row[0] << " " << row[2];
  }
  EXPECT_THAT(Section(wobbly, "findings").paragraphs[5],
              HasSubstr("4 of 4 inside the 95% prediction interval"));
}

TEST(ReportTest, AWobblyHeldOutSizeCanFallOutsideThePredictionInterval) {
  const fs::path dir = Folder("florenz_report_test_holdout_miss");
  testing::WriteSyntheticStudy(dir, {});
  // The largest size measures 30% above the law: far outside the interval of a 1% wobble.
  FitTable table = ReadFitTable(dir.string());
  auto& ids = table.cells.at("run_id");
  auto& uc = table.cells.at("final/unseen_caption");
  for (int r = 0; r < table.rows; ++r) {
    if (ids[r].rfind("s3-", 0) == 0) uc[r] = std::to_string(1.3 * std::atof(uc[r].c_str()));
  }
  ReportContext context;
  context.options.dir = dir.string();
  context.out_dir = dir / "report";
  fs::create_directories(context.out_dir);
  const StudyReport report = BuildStudyReport(table, context);
  const auto& rows = Section(report, "holdout").tables.at(0).rows;
  EXPECT_EQ(rows[0][7], "no");
  EXPECT_NEAR(std::atof(rows[0][5].c_str()), 100.0 * (1 / 1.3 - 1), 3.0);
  EXPECT_THAT(Section(report, "findings").paragraphs[5], HasSubstr("0 of 4 inside"));
}

TEST(ReportTest, SeedsAreAveragedPerSizeAndBudget) {
  const fs::path dir = Folder("florenz_report_test_seeds");
  testing::SyntheticStudy study;
  study.seeds = 2;
  testing::WriteSyntheticStudy(dir, study);
  const StudyReport report = Build(dir);
  const auto& table = Section(report, "prefix").tables.at(0);
  ASSERT_EQ(table.rows.size(), 16u);  // one row per (size, budget), not per run
  // xs at the smallest budget: BLEU with the prefix 2 (seed 0) and 3 (seed 1).
  EXPECT_EQ(table.rows[0][3], "2");
  EXPECT_EQ(table.rows[0][4], "2.5 (2, 3)");
  EXPECT_THAT(Section(report, "findings").paragraphs[4], HasSubstr("l: 0 -> 1, BLEU 0.45 -> 16"));
}

TEST(ReportTest, FolderWithoutResultsTableSaysToCollect) {
  const fs::path dir = Folder("florenz_report_test_uncollected");
  fs::remove_all(dir);
  fs::create_directories(dir / "runs");
  ReportOptions options;
  options.dir = dir.string();
  try {
    WriteStudyReport(options);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("florenz collect"));
  }
}

TEST(ReportTest, OptionsAreValidated) {
  ReportOptions options;
  std::string error;
  EXPECT_FALSE(options.IsValid(&error));  // no folder
  options.dir = "x";
  EXPECT_TRUE(options.IsValid(&error));
  options.extrapolate = {10, 0.5};
  EXPECT_FALSE(options.IsValid(&error));
  EXPECT_THAT(error, HasSubstr("> 1"));
  options.extrapolate = {10};
  options.confidence = 1.0;
  EXPECT_FALSE(options.IsValid(&error));
}

TEST(ReportTest, ALearningRateAxisIsFittedOnEachCellsBestRunWithItsSensitivity) {
  const fs::path dir = Folder("florenz_report_test_axis");
  testing::SyntheticStudy study;
  study.wobble = 0.0;
  study.seeds = 2;
  // Best: 4e-3 for xs ... 5e-4 for l. The axis is lopsided (8e-3 penalises l most), so fitting
  // every run, penalties and all, moves b_N.
  study.learning_rates = {5e-4, 1e-3, 2e-3, 4e-3, 8e-3};
  testing::WriteSyntheticStudy(dir, study);
  ReportOptions options;
  options.dir = dir.string();
  const ReportSummary summary = WriteStudyReport(options);  // select: auto
  EXPECT_EQ(summary.sections, 8);
  const std::string html = Read(summary.index);
  EXPECT_THAT(html, HasSubstr("kept 32 of 161 runs"));  // 4 sizes × 4 budgets × 2 seeds
  EXPECT_THAT(html, HasSubstr("Hyperparameter axes: sensitivity by model size"));
  EXPECT_THAT(html, HasSubstr("xs: learning_rate 0.004 has the lowest mean seen_caption over 8 "
                              "common cells, the worst value 30% higher; 0.004 was chosen in 8 "
                              "of 8 cells."));
  EXPECT_THAT(html, HasSubstr("l: learning_rate 0.0005 has the lowest mean seen_caption"));
  // The best run of every cell lies on the generating law: the exponents come back exactly.
  ReportContext context;
  context.options = options;
  context.out_dir = dir / "report";
  const FitTable all = ReadFitTable(dir.string());
  const StudyReport best = BuildStudyReport(SelectBestRuns(all, kDefaultSelectMetric), context);
  const auto& rows = Section(best, "loglinear").tables.at(0).rows;
  EXPECT_NEAR(std::atof(rows[0][3].c_str()), -0.16, 1e-9);
  EXPECT_EQ(rows[0][1], "32");
  // Fitting every run instead mixes in the penalties: b_N moves.
  const StudyReport every_run = BuildStudyReport(all, context);
  const auto& mixed = Section(every_run, "loglinear").tables.at(0).rows;
  EXPECT_GT(std::abs(std::atof(mixed[0][3].c_str()) + 0.16), 1e-3);
  // --select all: no selection, no sensitivity section.
  options.select = "all";
  EXPECT_EQ(WriteStudyReport(options).sections, 7);
}

// `florenz report --law loglinear --target seed-mean --bootstrap K`: the held-out section fits
// through florenz fit's driver, by default holding out the largest size and the budgets above
// half the largest, with each cell's seed floor and its prediction interval.
TEST(ReportTest, AnExplicitProtocolDrivesTheHeldOutSection) {
  const fs::path dir = Folder("florenz_report_test_protocol");
  testing::SyntheticStudy study;
  study.seeds = 3;
  testing::WriteSyntheticStudy(dir, study);
  ReportContext context;
  context.options.dir = dir.string();
  context.options.prediction.law = "loglinear";
  context.options.prediction.seed_mean = true;
  context.options.prediction.bootstrap = 50;
  context.out_dir = dir / "report";
  fs::create_directories(context.out_dir);
  const StudyReport report = BuildStudyReport(ReadFitTable(dir.string()), context);
  const ReportSection& holdout = Section(report, "holdout");
  EXPECT_TRUE(holdout.missing.empty()) << holdout.missing.front();
  const auto& rows = holdout.tables.at(0).rows;
  // UC, ST, SC × (the largest size's 4 budgets + the largest budget (above half of it) × 4 sizes)
  ASSERT_EQ(rows.size(), 3u * (4u + 4u));
  EXPECT_EQ(rows[0][1], "size:l");
  EXPECT_EQ(rows[0][2], "s3-d0-000000030 (3 seeds)");        // the synthetic ids hash in 9 digits
  EXPECT_NE(rows[0][6], "-");                                // a seed floor
  EXPECT_THAT(rows[0][7], HasSubstr("["));                   // an interval
  EXPECT_EQ(rows[4][1], "budget:>200000");                   // largest budget 4e5
  EXPECT_LT(std::fabs(std::atof(rows[0][5].c_str())), 3.0);  // the law is the truth ±1 %
  EXPECT_THAT(holdout.paragraphs[1], HasSubstr("inside the prediction interval"));
  // The findings quote these checks, not the log-linear law fitted without the largest size.
  const std::string held = Section(report, "findings").paragraphs.back();
  EXPECT_THAT(held, HasSubstr("Held out (the loglinear law of `--law`, on seed means): UC, size:l: "
                              "fitted on"));
  EXPECT_THAT(held, HasSubstr("SC, budget:>200000: fitted on"));
  EXPECT_THAT(held, ::testing::Not(HasSubstr("law fitted on the")));
}

}  // namespace
}  // namespace florenz
