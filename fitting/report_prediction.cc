// The held-out section under an explicit protocol (see report_prediction.h).
#include "fitting/report_prediction.h"

#include <cmath>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "experiments/results_dir.h"
#include "fitting/fit_driver.h"
#include "fitting/report_scaling_views.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

// The default checks: the largest size held out, and the budgets above half the largest.
std::vector<std::string> DefaultHoldouts(const FitTable& table) {
  std::vector<std::string> checks;
  if (table.Has("config/size") && table.Has("config/non_embedding_params")) {
    double largest = -1;
    std::string name;
    for (int i = 0; i < table.rows; ++i) {
      const double n = std::atof(table.cells.at("config/non_embedding_params")[i].c_str());
      if (n > largest) largest = n, name = table.cells.at("config/size")[i];
    }
    if (!name.empty()) checks.push_back("size:" + name);
  }
  if (table.Has("config/samples")) {
    double largest = 0;
    for (const std::string& cell : table.cells.at("config/samples")) {
      largest = std::max(largest, std::atof(cell.c_str()));
    }
    if (largest > 0) checks.push_back("budget:>" + std::to_string(std::llround(largest / 2)));
  }
  return checks;
}

// Several distinct learning rates among the runs: the broken law then takes the rate as a
// variable.
bool SeveralRates(const FitTable& table) {
  for (const char* column : {"config/peak_learning_rate", "config/learning_rate"}) {
    if (!table.Has(column)) continue;
    const auto& cells = table.cells.at(column);
    return std::set<std::string>(cells.begin(), cells.end()).size() > 1;
  }
  return false;
}

std::string Percent(double v) { return std::isfinite(v) ? ReportNumber(100 * v, 2) + "%" : "-"; }

}  // namespace

ReportSection PredictionHoldoutSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  const ReportOptions::Prediction& protocol = options.prediction;
  const std::string level = ReportPercent(options.confidence);
  ReportSection section;
  section.id = "holdout";
  section.title = "Held out: the " + protocol.law + " law predicting what it was not fitted on";
  const Law law = LawFromString(protocol.law);
  std::vector<std::string> x = {"N", "D"};
  if (law == Law::kBnsl && SeveralRates(table)) x.push_back("learning_rate");
  std::string x_text;
  for (const std::string& name : x) x_text += (x_text.empty() ? "" : ",") + name;
  const std::vector<std::string> checks =
      protocol.holdouts.empty() ? DefaultHoldouts(table) : protocol.holdouts;
  std::string what =
      "`florenz fit --law " + protocol.law + " --x " + x_text +
      (protocol.seed_mean ? " --target seed-mean" : "") +
      (protocol.smooth_last > 1 ? " --smooth last:" + std::to_string(protocol.smooth_last) : "") +
      (protocol.bootstrap > 0 ? " --bootstrap " + std::to_string(protocol.bootstrap) : "") +
      " --holdout CHECK` on every run";
  section.paragraphs.push_back(
      "Each check fits the law without the held-out " +
      std::string(protocol.seed_mean ? "cells (seed means)" : "runs") + " and predicts them (" +
      what + "). The table gives each prediction's error" +
      (protocol.seed_mean ? ", the cell's seed floor (the standard error of its mean)" : "") +
      (protocol.bootstrap > 0 ? " and its " + level + " cell-bootstrap prediction interval" : "") +
      ".");
  ReportTable errors;
  errors.caption = "Held-out predictions";
  errors.header = {"pairs",        "check", "held out",   "measured CE",
                   "predicted CE", "error", "seed floor", level + " prediction interval",
                   "inside"};
  const fs::path results =
      fs::is_directory(options.dir) ? ResultsDir(options.dir).ResultsH5() : fs::path(options.dir);
  for (const AggregateMetric& m : AggregateMetrics()) {
    const std::string y = table.Has("final/" + m.metric) ? m.metric : m.fallback;
    if (!table.Has("final/" + y)) {
      section.missing.push_back(m.tag + ": the runs did not record " + m.metric);
      continue;
    }
    for (const std::string& check : checks) {
      try {
        FitInputOptions input;
        input.path = results.string();
        input.x = x;
        input.y = y;
        input.compute = options.compute;
        input.seed_mean = protocol.seed_mean;
        input.smooth_last = protocol.smooth_last;
        FitOptions fit;
        fit.law = law;
        fit.confidence = options.confidence;
        fit.bootstrap = protocol.bootstrap;
        fit.seed = protocol.seed;
        ParseHoldout(check, &fit);
        const FitReport report = RunFit(LoadFitData(input), fit);
        double half = 0;
        int intervals = 0;
        for (const FitHoldout& h : report.holdout) {
          const bool has_interval = std::isfinite(h.pi_low);
          errors.rows.push_back(
              {m.name, check, h.label, ReportNumber(h.actual, 4), ReportNumber(h.predicted, 4),
               Percent(h.relative_error), Percent(h.seed_floor),
               has_interval ? ReportInterval(h.pi_low, h.pi_high, 4) : "-",
               has_interval ? (h.actual >= h.pi_low && h.actual <= h.pi_high ? "yes" : "no")
                            : "-"});
          if (has_interval) half += 0.5 * (h.pi_high - h.pi_low) / h.predicted, ++intervals;
        }
        std::string text = m.tag + ", " + check + ": fitted on " +
                           std::to_string(report.points - static_cast<int>(report.holdout.size())) +
                           " of " + std::to_string(report.points) +
                           " points, mean absolute error " + Percent(report.holdout_mean_abs_error);
        if (report.holdout_inside >= 0) {
          text += ", " + std::to_string(report.holdout_inside) + " of " +
                  std::to_string(report.holdout.size()) +
                  " inside the prediction interval (mean "
                  "half-width " +
                  Percent(intervals > 0 ? half / intervals : NAN) + ")";
        }
        section.paragraphs.push_back(text + ".");
      } catch (const std::exception& e) {
        section.missing.push_back(m.tag + ", " + check + ": " + e.what());
      }
    }
  }
  if (!errors.rows.empty()) section.tables.push_back(errors);
  return section;
}

}  // namespace florenz
