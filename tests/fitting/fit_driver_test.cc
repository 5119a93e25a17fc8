// RunFit's checks and outputs: every option is judged before any fitting, the interval label
// and JSON follow --confidence, the law is named by an enum (with "chinchilla" for the additive
// law), and the JSON parses back with the documented keys.
#include "fitting/fit_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "tests/fitting/synthetic.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;

TEST(FitDriverTest, LogLinearReportHasTIntervalsPredictionsAndHoldout) {
  const FitData data = testing::PowerLawGrid();
  FitOptions options;
  options.predict = {{{"N", 1e11}, {"D", 1e10}}};
  options.holdout = 2;
  const FitReport report = RunFit(data, options);
  EXPECT_EQ(report.interval_kind, "t");
  ASSERT_EQ(report.predictions.size(), 1u);
  const auto& p = report.predictions[0];
  EXPECT_LT(p.pi_low, p.ci_low);
  EXPECT_LT(p.ci_low, p.value);
  EXPECT_LT(p.value, p.ci_high);
  EXPECT_LT(p.ci_high, p.pi_high);
  ASSERT_EQ(report.holdout.size(), 2u);
  EXPECT_LT(report.holdout_mean_abs_error, 0.05);
  const std::string text = FitReportText(report);
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
  const std::string json = FitReportJson(report);
  EXPECT_NE(json.find("\"law\": \"loglinear\""), std::string::npos);
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;

  options.predict = {{{"N", 1e11}}};
  EXPECT_THROW(RunFit(data, options), ConfigError);  // D missing
}

TEST(FitDriverTest, TheIntervalLabelFollowsTheConfidence) {
  FitOptions options;
  options.confidence = 0.9;
  const FitReport report = RunFit(testing::PowerLawGrid(), options);
  EXPECT_THAT(FitReportText(report), HasSubstr("90% t low"));
  EXPECT_THAT(FitReportText(report), ::testing::Not(HasSubstr("95%")));
  options.confidence = 0.975;
  EXPECT_THAT(FitReportText(RunFit(testing::PowerLawGrid(), options)), HasSubstr("97.5% t high"));
  options.confidence = 0.95;
  EXPECT_THAT(FitReportText(RunFit(testing::PowerLawGrid(), options)), HasSubstr("95% t low"));
}

// A bad --holdout or --predict is reported before the fit and its bootstrap run: the additive
// options below are invalid too, and would throw their own error if the fit ran first.
TEST(FitDriverTest, EveryOptionIsCheckedBeforeAnyFit) {
  FitOptions options;
  options.law = Law::kAdditive;
  options.huber.huber_delta = -1;  // FitAdditive would refuse this
  options.bootstrap = 1000;
  options.holdout = 16;  // all 16 points
  EXPECT_THAT(
      [&] { RunFit(testing::PowerLawGrid(), options); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr("--holdout: cannot hold out 16 of 16")));
  options.holdout = 0;
  options.predict = {{{"N", 1e11}, {"T", 1e10}}};
  EXPECT_THAT([&] { RunFit(testing::PowerLawGrid(), options); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("--predict")));
  options.predict.clear();
  options.law = Law::kIsoflop;
  options.holdout = 1;
  EXPECT_THAT([&] { RunFit(testing::PowerLawGrid(), options); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("isoFLOP analysis predicts N_opt")));
  options.law = Law::kLogLinear;
  options.holdout = 0;
  options.threads = -1;
  EXPECT_THROW(RunFit(testing::PowerLawGrid(), options), ConfigError);
}

TEST(FitDriverTest, ChinchillaIsTheAdditiveLawsOtherName) {
  EXPECT_EQ(LawFromString("chinchilla"), Law::kAdditive);
  EXPECT_EQ(LawFromString("additive"), Law::kAdditive);
  EXPECT_EQ(ToString(LawFromString("chinchilla")), "additive");
  EXPECT_THAT([] { LawFromString("kaplan"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("alias chinchilla")));
}

TEST(FitDriverTest, JsonParsesBackWithItsKeys) {
  FitOptions options;
  options.predict = {{{"N", 1e11}, {"D", 1e10}}};
  options.holdout = 2;
  FitReport report = RunFit(testing::PowerLawGrid(), options);
  report.notes.push_back("a note with \"quotes\", a tab\tand a newline\n");
  const nlohmann::json json = nlohmann::json::parse(FitReportJson(report));
  for (const char* key :
       {"law", "formula", "source", "y", "x", "points", "fitted_points", "interval", "confidence",
        "objective", "r2", "bootstrap_resamples", "bootstrap_failed", "parameters", "derived",
        "predictions", "holdout", "holdout_mean_abs_error", "notes"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["law"], "loglinear");
  EXPECT_EQ(json["interval"], "t");
  EXPECT_EQ(json["points"], 16);
  EXPECT_EQ(json["x"], nlohmann::json({"N", "D"}));
  ASSERT_EQ(json["parameters"].size(), 3u);
  EXPECT_EQ(json["parameters"][0]["name"], report.parameters[0].name);
  EXPECT_DOUBLE_EQ(json["parameters"][1]["value"].get<double>(), report.parameters[1].value);
  EXPECT_TRUE(json["parameters"][0]["se"].is_number());
  EXPECT_DOUBLE_EQ(json["predictions"][0]["at"]["N"].get<double>(), 1e11);
  EXPECT_TRUE(json["predictions"][0]["pi_low"].is_number());
  EXPECT_EQ(json["holdout"].size(), 2u);
  EXPECT_EQ(json["notes"].back(), "a note with \"quotes\", a tab\tand a newline\n");
  // NaN (no bootstrap here: no derived quantities, no p of a derived value) becomes null.
  report.r2 = std::nan("");
  EXPECT_TRUE(nlohmann::json::parse(FitReportJson(report))["r2"].is_null());
}

// --law lr-optimum: a sweep whose loss is a parabola in log lr around lr*(w) = 0.01 (w/32)^-1.5
// recovers the rule and prints it for the grid; a width whose optimum lies beyond the rates
// tried is refused, as is a sweep of one width.
FitData LearningRateSweep(double shift) {
  FitData data;
  data.source = "sweep";
  data.x_names = {"width", "learning_rate"};
  data.y_name = "seen_caption";
  data.x.resize(2);
  for (const double w : {32.0, 64.0, 128.0}) {
    const double best = 0.01 * std::pow(w / 32, -1.5) * (w == 128 ? shift : 1.0);
    for (int k = -2; k <= 2; ++k) {
      const double lr = 0.01 * std::pow(w / 32, -1.5) * std::pow(2.0, k);
      data.x[0].push_back(w);
      data.x[1].push_back(lr);
      data.y.push_back(2.0 * std::exp(0.05 * std::pow(std::log(lr / best), 2)));
    }
  }
  return data;
}

TEST(FitDriverTest, TheLearningRateOptimumGivesTheRuleForTheGrid) {
  FitOptions options;
  options.law = LawFromString("lr-optimum");
  const FitReport report = RunFit(LearningRateSweep(1.0), options);
  ASSERT_EQ(report.parameters.size(), 2u);
  EXPECT_NEAR(report.parameters[1].value, -1.5, 1e-9);                         // a
  EXPECT_NEAR(report.parameters[0].value * std::pow(32.0, -1.5), 0.01, 1e-9);  // G 32^a
  EXPECT_EQ(report.y_name, "lr*");
  EXPECT_THAT(
      FitReportText(report),
      HasSubstr("learning-rate rule for the grid: training.optimizer: {learning_rate: "
                "0.01, learning_rate_rule: {kind: power, base_width: 32, exponent: -1.5}}"));
  try {
    RunFit(LearningRateSweep(8.0), options);  // width 128's optimum 3 doublings above its axis
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()),
                HasSubstr("does not bracket every width's optimum (width 128: the optimum lr"));
  }
  FitData one = LearningRateSweep(1.0).Subset({0, 1, 2, 3, 4});
  EXPECT_THROW(RunFit(one, options), ConfigError);
}

// A loss that rises with D (an additive fit with a negative D exponent) is still a fit: it is
// reported, without the compute-optimal allocation, which needs both exponents positive.
TEST(FitDriverTest, AnAdditiveFitWhoseLossRisesWithDIsReportedWithoutTheAllocation) {
  FitData data;
  data.source = "rising";
  data.x_names = {"N", "D"};
  data.x.resize(2);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double n = 1e6 * std::pow(4.0, i), d = 1e4 * std::pow(2.0, j);
      data.x[0].push_back(n);
      data.x[1].push_back(d);
      data.y.push_back(1.0 + 30 * std::pow(n, -0.3) + 0.001 * std::pow(d, 0.5));
    }
  }
  FitOptions options;
  options.law = Law::kAdditive;
  options.threads = 2;
  options.huber.exponent_starts = {-0.5, 0.0, 0.5};
  const FitReport report = RunFit(data, options);
  EXPECT_TRUE(report.derived.empty());
  EXPECT_THAT(FitReportText(report), HasSubstr("no compute-optimal allocation: the loss does not "
                                               "fall with both N and D"));
}

}  // namespace
}  // namespace florenz
