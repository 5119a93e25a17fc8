// `--y /eval/<pair>/<metric>`: the final value of a run's evaluation series as a fit column, read
// from the run files beside results.h5; bad names, pairs and metrics are ConfigErrors.
#include "fitting/eval_series.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "tests/fitting/load_error.h"
#include "tests/fitting/synthetic_results.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// TEMP/florenz_eval_series_<what>_<test name>: CTest runs this file's tests in parallel.
fs::path OwnFolder(const std::string& what) {
  return fs::temp_directory_path() /
         ("florenz_eval_series_" + what + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

fs::path Study() {
  static const fs::path dir = [] {
    const fs::path d = OwnFolder("study");
    testing::WriteSyntheticStudy(d, {});
    return d;
  }();
  return dir;
}

TEST(EvalSeriesTest, ParsesSeriesNames) {
  std::string pair, metric;
  EXPECT_TRUE(ParseEvalSeriesName("/eval/caption_es/bleu", &pair, &metric));
  EXPECT_EQ(pair, "caption_es");
  EXPECT_EQ(metric, "bleu");
  EXPECT_TRUE(ParseEvalSeriesName("eval/translate_de/cross_entropy", &pair, &metric));
  EXPECT_FALSE(ParseEvalSeriesName("/eval/caption_es", &pair, &metric));
  EXPECT_FALSE(ParseEvalSeriesName("/eval/caption_es/bleu/x", &pair, &metric));
  EXPECT_FALSE(ParseEvalSeriesName("final/bleu", &pair, &metric));
}

TEST(EvalSeriesTest, FitsTheLastValueOfEachRunsSeries) {
  FitInputOptions options;
  options.path = Study().string();
  options.y = "/eval/caption_es/cross_entropy";
  const FitData series = LoadFitData(options);
  options.y = "cross_entropy_caption_es";  // the trainer's final scalar of the same series
  const FitData final = LoadFitData(options);
  ASSERT_EQ(series.size(), 16);  // completed runs only
  EXPECT_EQ(series.y, final.y);
  EXPECT_EQ(series.labels, final.labels);
  EXPECT_EQ(series.y_name, "/eval/caption_es/cross_entropy");
  // bleu is NaN before the final evaluation: the last row holds the value.
  options.y = "eval/caption_es/bleu";
  const FitData bleu = LoadFitData(options);
  EXPECT_EQ(bleu.y[0], 2.0);  // size 0, budget 0: 2 + 4·0 + 0.5·0
}

TEST(EvalSeriesTest, UnknownPairOrMetricSuggestsTheRightOne) {
  FitInputOptions options;
  options.path = Study().string();
  options.y = "/eval/caption_sp/cross_entropy";
  EXPECT_THAT(testing::LoadErrorOf(options), HasSubstr("did you mean 'caption_es'?"));
  options.y = "/eval/caption_es/bleus";
  EXPECT_THAT(testing::LoadErrorOf(options), HasSubstr("did you mean 'bleu'?"));
}

// --smooth last:K: the mean of each run's last K evaluations. caption_es's three rows are
// 1.5, 1.3 and 1 times the final unseen_caption; translate_es's are all seen_translate.
TEST(EvalSeriesTest, SmoothingAveragesTheLastEvaluationsOfASeriesOrAnAggregate) {
  FitInputOptions options;
  options.path = Study().string();
  options.y = "unseen_caption";
  const FitData final = LoadFitData(options);
  options.smooth_last = 2;
  const FitData two = LoadFitData(options);
  options.smooth_last = 3;
  const FitData three = LoadFitData(options);
  options.y = "/eval/caption_es/cross_entropy";
  const FitData series = LoadFitData(options);
  options.y = "cross_entropy_caption_es";
  const FitData pair = LoadFitData(options);
  ASSERT_EQ(two.size(), final.size());
  for (int i = 0; i < final.size(); ++i) {
    EXPECT_DOUBLE_EQ(two.y[i], 1.15 * final.y[i]);
    EXPECT_DOUBLE_EQ(three.y[i], (1.5 + 1.3 + 1.0) / 3 * final.y[i]);
  }
  EXPECT_EQ(series.y, three.y);
  EXPECT_EQ(pair.y, three.y);
  EXPECT_EQ(two.y_name, "unseen_caption (mean of the last 2 evaluations)");
  options.y = "seen_translate";
  options.smooth_last = 2;
  const FitData translate = LoadFitData(options);
  options.smooth_last = 1;
  EXPECT_EQ(translate.y, LoadFitData(options).y);
  // More evaluations than a run has: the mean of all of them.
  options.y = "unseen_caption";
  options.smooth_last = 50;
  EXPECT_EQ(LoadFitData(options).y, three.y);
  options.y = "disambiguation";
  EXPECT_THAT(testing::LoadErrorOf(options), HasSubstr("has no evaluation series to smooth"));
  options.y = "seen_caption";  // the synthetic runs have no seen caption pair
  EXPECT_THAT(testing::LoadErrorOf(options),
              HasSubstr("no seen caption pair in the run's coverage"));
}

TEST(EvalSeriesTest, ACsvAwayFromItsRunFilesIsAConfigError) {
  const fs::path copy = OwnFolder("copy");
  fs::remove_all(copy);
  fs::create_directories(copy);
  fs::copy_file(Study() / "results.csv", copy / "results.csv");
  FitInputOptions options;
  options.path = (copy / "results.csv").string();
  options.y = "/eval/caption_es/cross_entropy";
  EXPECT_THAT(testing::LoadErrorOf(options), HasSubstr("does not exist (give the results folder"));
}

}  // namespace
}  // namespace florenz
