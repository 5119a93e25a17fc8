// Reading fit inputs: CSV with quoted fields, results.h5 written by `florenz collect`, the short
// names N, D, C (flops and macs), --where filters, and the ConfigErrors for bad input.
#include "fitting/fit_input.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "fitting/fit_driver.h"
#include "tests/fitting/load_error.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

fs::path WriteFile(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "florenz_fit_input_test";
  fs::create_directories(dir);
  const fs::path file = dir / name;
  std::ofstream(file) << text;
  return file;
}

TEST(FitInputTest, ReadsResultsCsvWithShortNames) {
  const fs::path file = WriteFile(
      "results.csv",
      "run_id,status,reason,config/flops_per_sample,config/non_embedding_params,config/params,"
      "config/samples,config/size,final/loss\n"
      "a,completed,,100,10,12,1000,s,3.5\n"
      "b,completed,,200,20,24,1000,m,3.0\n"
      "c,failed,\"diverged, at step 5\",200,20,24,2000,m,\n"
      "d,completed,,200,20,24,4000,m,2.5\n");
  FitInputOptions options;
  options.path = file.string();
  options.x = {"N", "D", "C"};
  std::vector<std::string> notes;
  const FitData data = LoadFitData(options, &notes);
  ASSERT_EQ(data.size(), 3);                                // the failed run is left out
  EXPECT_EQ(data.x[0], (std::vector<double>{10, 20, 20}));  // non_embedding_params wins
  EXPECT_EQ(data.x[1], (std::vector<double>{1000, 1000, 4000}));
  EXPECT_EQ(data.x[2], (std::vector<double>{3e5, 6e5, 2.4e6}));  // 3 · F · S
  EXPECT_EQ(data.y, (std::vector<double>{3.5, 3.0, 2.5}));
  EXPECT_EQ(data.labels, (std::vector<std::string>{"a", "b", "d"}));
  ASSERT_EQ(notes.size(), 1u);

  options.compute = ComputeUnit::kMacs;
  options.where = {"size=m"};
  const FitData macs = LoadFitData(options);
  EXPECT_EQ(macs.x[2], (std::vector<double>{1e5, 4e5}));  // F / 2 · S
}

TEST(FitInputTest, PlainCsvColumnsAndErrors) {
  const fs::path file = WriteFile("plain.csv", "N,D,loss\n1e7,1e8,3.1\n1e8,1e8,2.9\n");
  FitInputOptions options;
  options.path = file.string();
  EXPECT_EQ(LoadFitData(options).size(), 2);
  options.y = "los";
  const std::string error = testing::LoadErrorOf(options);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("'los' is not a column (did you mean 'loss'?)"), std::string::npos) << error;
  options.y = "loss";
  options.x = {"N", "X"};
  EXPECT_NE(testing::LoadErrorOf(options).find("'X'"), std::string::npos);
  options.path = WriteFile("ragged.csv", "N,D,loss\n1,2\n").string();
  options.x = {"N", "D"};
  EXPECT_NE(testing::LoadErrorOf(options).find("ragged.csv:2"), std::string::npos)
      << testing::LoadErrorOf(options);
  options.path = WriteFile("text.csv", "N,D,loss\n1,2,abc\n").string();
  EXPECT_NE(testing::LoadErrorOf(options).find("'abc' is not a number"), std::string::npos);
  options.path = "/nonexistent/results";
  EXPECT_NE(testing::LoadErrorOf(options).find("no such file"), std::string::npos);
}

TEST(FitInputTest, NonPositiveValueIsReportedWithItsRow) {
  const fs::path file = WriteFile("neg.csv",
                                  "N,D,loss\n1e7,1e8,3.1\n1e8,1e9,-2\n1e9,1e7,2\n"
                                  "1e6,1e6,4\n1e5,1e5,5\n");
  FitInputOptions input;
  input.path = file.string();
  try {
    RunFit(LoadFitData(input), FitOptions{});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("column 'loss' has the value -2 at row 2"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace florenz
