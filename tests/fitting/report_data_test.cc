// SelectMetricRuns: completed runs with a finite value, ordered by (N, D), with size names and
// compute; an absent metric or one missing everywhere is described, not thrown. Also the
// report's number formatting.
#include "fitting/report_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace florenz {
namespace {

FitTable Table(const std::string& csv) {
  const auto file = std::filesystem::temp_directory_path() / "florenz_report_data_test.csv";
  std::ofstream(file) << csv;
  return ReadFitTable(file.string());
}

const char* kCsv =
    "run_id,status,config/non_embedding_params,config/samples,config/flops_per_sample,"
    "config/size,final/unseen_caption,final/bleu,final/empty\n"
    "b,completed,20,100,40,m,2.0,5,\n"
    "a,completed,10,200,20,s,3.0,,\n"
    "c,completed,10,100,20,s,3.5,1,\n"
    "d,failed,20,200,40,m,,7,\n";

TEST(ReportDataTest, SelectsCompletedRunsWithValuesInSizeOrder) {
  const MetricRuns runs = SelectMetricRuns(Table(kCsv), "unseen_caption", ComputeUnit::kFlops);
  ASSERT_EQ(runs.size(), 3);
  EXPECT_EQ(runs.run_id, (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(runs.size_name, (std::vector<std::string>{"s", "s", "m"}));
  EXPECT_EQ(runs.c, (std::vector<double>{3 * 20 * 100, 3 * 20 * 200, 3 * 40 * 100}));
  EXPECT_EQ(runs.Budgets(), (std::vector<double>{100, 200}));
  ASSERT_EQ(runs.Sizes().size(), 2u);
  EXPECT_EQ(runs.Sizes()[1].second, "m");
  EXPECT_TRUE(runs.absent.empty());
  const FitData data = runs.ToFitData({"N", "D"}, "t");
  EXPECT_EQ(data.x[0], (std::vector<double>{10, 10, 20}));
  EXPECT_EQ(data.y, (std::vector<double>{3.5, 3.0, 2.0}));
}

TEST(ReportDataTest, CountsRunsWithoutTheMetric) {
  const MetricRuns bleu = SelectMetricRuns(Table(kCsv), "bleu", ComputeUnit::kMacs);
  EXPECT_EQ(bleu.size(), 2);
  EXPECT_EQ(bleu.missing, 1);  // run a; the failed run d is not counted
  EXPECT_EQ(bleu.c[0], 0.5 * 20 * 100);
}

TEST(ReportDataTest, DescribesAbsentMetrics) {
  const MetricRuns none = SelectMetricRuns(Table(kCsv), "cider", ComputeUnit::kFlops);
  EXPECT_TRUE(none.empty());
  EXPECT_NE(none.absent.find("final/cider"), std::string::npos) << none.absent;
  const MetricRuns empty = SelectMetricRuns(Table(kCsv), "empty", ComputeUnit::kFlops);
  EXPECT_TRUE(empty.empty());
  EXPECT_NE(empty.absent.find("missing (NaN) in all 3 completed runs"), std::string::npos)
      << empty.absent;
}

TEST(ReportDataTest, FormatsNumbers) {
  EXPECT_EQ(ReportNumber(0.123456), "0.123");
  EXPECT_EQ(ReportNumber(NAN), "-");
  EXPECT_EQ(ReportPValue(1e-20), "< 1e-16");
  EXPECT_EQ(ReportPValue(0.0312), "0.031");
  EXPECT_EQ(ReportInterval(-0.26, -0.04), "[-0.26, -0.04]");
  EXPECT_EQ(ReportPercent(0.95), "95%");
}

}  // namespace
}  // namespace florenz
