// `florenz fit INPUT`: fit a scaling law to a results folder, results.h5 or CSV, print the table,
// and optionally write JSON and a plot (docs/fitting.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace florenz {

struct FitCommand {
  std::string input;                 // results folder, results.h5 or CSV
  std::string x;                     // comma-separated variables; "" = the law's default
  std::string y = "loss";            // column or metric (final/<metric>)
  std::vector<std::string> where;    // COLUMN=VALUE filters
  std::string compute = "flops";     // flops | macs
  std::string law = "loglinear";     // loglinear | additive | compute | isoflop
  bool with_irreducible = false;     // compute law: + E
  std::vector<std::string> predict;  // "N=1e9,D=1e7", repeatable
  std::string holdout;               // "largest", "largest:k", "size:NAME" or "budget:>D"
  std::string target = "run";        // run | seed-mean
  std::string smooth;                // "" or "last:K"
  std::string select;                // "", "all", "best" or "best:METRIC" (run_selection.h)
  int bootstrap = 0;                 // resamples; 0 = none
  unsigned long long seed = 0;
  int threads = 0;  // 0 = all cores
  double confidence = 0.95;
  std::string json;  // --json FILE
  std::string plot;  // --plot FILE.png|.svg
};

CLI::App* AddFitCommand(CLI::App& app, FitCommand* options);
// Exit code: 0, or 2 (ConfigError, naming the file and column) for bad input.
int RunFitCommand(const FitCommand& options);

}  // namespace florenz
