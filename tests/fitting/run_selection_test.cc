// Per-cell selection (fitting/run_selection.h): of each (size, budget, seed) cell, the completed
// run lowest in the metric; ties to the first run id; runs without the metric never chosen;
// cells without any left out with a note.
#include "fitting/run_selection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

FitTable Table(const std::string& csv) {
  // A folder per test: CTest runs this file's tests in parallel.
  const fs::path dir =
      fs::temp_directory_path() / (std::string("florenz_run_selection_test_") +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(dir);
  const fs::path file = dir / "results.csv";
  std::ofstream(file) << csv;
  return ReadFitTable(file.string());
}

const char* kHeader =
    "run_id,status,config/size,config/samples,config/seed,config/axes,config/learning_rate,"
    "final/seen_caption,final/unseen_caption\n";

std::vector<std::string> Kept(const FitTable& table) { return table.cells.at("run_id"); }

TEST(RunSelectionTest, KeepsTheLowestMetricOfEachCell) {
  const FitTable table = Table(std::string(kHeader) +
                               "xs-1k-s0-lr1,completed,xs,1000,0,learning_rate,0.001,3.0,4.0\n"
                               "xs-1k-s0-lr3,completed,xs,1000,0,learning_rate,0.003,2.5,4.5\n"
                               "xs-1k-s1-lr1,completed,xs,1000,1,learning_rate,0.001,2.9,4.0\n"
                               "xs-1k-s1-lr3,completed,xs,1000,1,learning_rate,0.003,3.1,3.0\n"
                               "xs-2k-s0-lr1,completed,xs,2000,0,learning_rate,0.001,2.0,3.0\n"
                               "s-1k-s0-lr1,completed,s,1000,0,learning_rate,0.001,2.2,3.0\n"
                               "s-1k-s0-lr3,completed,s,1000,0,learning_rate,0.003,2.1,3.9\n");
  std::vector<std::string> notes;
  const FitTable best = SelectBestRuns(table, "seen_caption", &notes);
  // By seen captioning, never by the unseen pair's own numbers; rows keep their order.
  EXPECT_EQ(Kept(best), (std::vector<std::string>{"xs-1k-s0-lr3", "xs-1k-s1-lr1", "xs-2k-s0-lr1",
                                                  "s-1k-s0-lr3"}));
  EXPECT_EQ(best.rows, 4);
  EXPECT_EQ(best.names, table.names);
  EXPECT_EQ(best.cells.at("config/learning_rate"),
            (std::vector<std::string>{"0.003", "0.001", "0.001", "0.003"}));
  ASSERT_FALSE(notes.empty());
  EXPECT_THAT(notes.back(), HasSubstr("kept 4 of 7 runs"));
  // Another metric chooses otherwise.
  EXPECT_EQ(
      Kept(SelectBestRuns(table, "final/unseen_caption")),
      (std::vector<std::string>{"xs-1k-s0-lr1", "xs-1k-s1-lr3", "xs-2k-s0-lr1", "s-1k-s0-lr1"}));
}

TEST(RunSelectionTest, TiesGoToTheFirstRunIdAndAreNoted) {
  const FitTable table = Table(std::string(kHeader) +
                               "xs-1k-s0-lr3,completed,xs,1000,0,learning_rate,0.003,2.5,4.5\n"
                               "xs-1k-s0-lr1,completed,xs,1000,0,learning_rate,0.001,2.5,4.0\n"
                               "xs-1k-s0-lr9,completed,xs,1000,0,learning_rate,0.009,2.5,4.0\n");
  std::vector<std::string> notes;
  const FitTable best = SelectBestRuns(table, "seen_caption", &notes);
  EXPECT_EQ(Kept(best), (std::vector<std::string>{"xs-1k-s0-lr1"}));
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_THAT(notes[0], HasSubstr("tie"));
  EXPECT_THAT(notes[0], HasSubstr("kept xs-1k-s0-lr1"));
}

TEST(RunSelectionTest, MissingMetricsAndUnfinishedRunsAreNeverChosen) {
  const FitTable table = Table(std::string(kHeader) +
                               "xs-1k-s0-lr1,completed,xs,1000,0,learning_rate,0.001,,4.0\n"
                               "xs-1k-s0-lr3,failed,xs,1000,0,learning_rate,0.003,1.0,4.5\n"
                               "xs-1k-s0-lr9,completed,xs,1000,0,learning_rate,0.009,nan,4.0\n"
                               "xs-1k-s0-lr5,completed,xs,1000,0,learning_rate,0.005,3.5,4.0\n"
                               "xs-2k-s0-lr1,completed,xs,2000,0,learning_rate,0.001,,3.0\n"
                               "xs-2k-s0-lr3,failed,xs,2000,0,learning_rate,0.003,1.0,3.0\n");
  std::vector<std::string> notes;
  const FitTable best = SelectBestRuns(table, "seen_caption", &notes);
  EXPECT_EQ(Kept(best), (std::vector<std::string>{"xs-1k-s0-lr5"}));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_THAT(notes[0], HasSubstr("no completed run of xs at 2000 samples, seed 0"));
  EXPECT_THAT(notes[1], HasSubstr("1 cell(s) left out"));
}

TEST(RunSelectionTest, ParsesTheFlagAndNamesWhatIsMissing) {
  EXPECT_EQ(ParseSelect(""), "");
  EXPECT_EQ(ParseSelect("all"), "");
  EXPECT_EQ(ParseSelect("best"), "seen_caption");
  EXPECT_EQ(ParseSelect("best:seen_translate"), "seen_translate");
  EXPECT_THROW(ParseSelect("lowest"), ConfigError);
  EXPECT_THROW(ParseSelect("best:"), ConfigError);
  const FitTable table = Table(std::string(kHeader) +
                               "xs-1k-s0-lr1,completed,xs,1000,0,learning_rate,0.001,3.0,4.0\n");
  EXPECT_EQ(TableAxes(table), (std::vector<std::string>{"learning_rate"}));
  try {
    SelectBestRuns(table, "bleu", nullptr);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no column bleu or final/bleu"));
  }
  const FitTable no_seed = Table("run_id,config/size,config/samples,final/loss\na,xs,1000,1\n");
  try {
    SelectBestRuns(no_seed, "loss", nullptr);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("config/seed"));
  }
}

TEST(RunSelectionTest, FitInputSelectsBeforeFitting) {
  const FitTable table = Table(std::string(kHeader) +
                               "xs-1k-s0-lr1,completed,xs,1000,0,learning_rate,0.001,3.0,4.0\n"
                               "xs-1k-s0-lr3,completed,xs,1000,0,learning_rate,0.003,2.5,4.5\n");
  FitInputOptions options;
  options.path = table.source;
  options.x = {"D"};
  options.y = "unseen_caption";
  std::vector<std::string> notes;
  EXPECT_EQ(LoadFitData(options, &notes).size(), 2);
  ASSERT_FALSE(notes.empty());
  EXPECT_THAT(notes.back(), HasSubstr("hyperparameter axes (learning_rate)"));
  options.select_metric = "seen_caption";
  const FitData data = LoadFitData(options);
  ASSERT_EQ(data.size(), 1);
  EXPECT_EQ(data.y[0], 4.5);
  EXPECT_EQ(data.labels[0], "xs-1k-s0-lr3");
}

}  // namespace
}  // namespace florenz
