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
