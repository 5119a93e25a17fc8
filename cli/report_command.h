// `florenz report DIR`: the study report of a collected results folder, DIR/report/index.html
// with its PNG figures (the Florenz paper's views; docs/fitting.md). The work is in
// fitting/report.h; this file maps flags onto ReportOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace florenz {

struct ReportCommand {
  std::string dir;                     // results folder (with results.h5 from `florenz collect`)
  std::string out;                     // --out: report folder; "" = DIR/report
  std::string compute = "flops";       // flops | macs
  double confidence = 0.95;            // interval level
  std::string extrapolate = "10,100";  // factors of the largest trained N
  std::string select = "auto";         // auto | all | best | best:METRIC
  // The held-out section's protocol (ReportOptions::Prediction): "" = the log-linear checks.
  std::string law;
  std::vector<std::string> holdout;  // size:NAME | budget:>D | largest[:K], repeatable
  std::string target = "run";        // run | seed-mean
  std::string smooth;                // "" | last:K
  int bootstrap = 0;
  unsigned long long seed = 0;
};

CLI::App* AddReportCommand(CLI::App& app, ReportCommand* options);
// Exit code: 0, or 2 (ConfigError) for bad flags or a folder without results.h5.
int RunReportCommand(const ReportCommand& options);

}  // namespace florenz
