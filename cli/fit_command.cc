// `florenz fit` (see fit_command.h): flags to FitInputOptions / FitOptions, then
// fitting/fit_driver.h does the work. Bad flags and bad data are ConfigErrors (exit code 2).
#include "cli/fit_command.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "core/strings.h"
#include "experiments/durable_write.h"
#include "fitting/fit_driver.h"
#include "fitting/fit_input.h"
#include "fitting/fit_plot.h"
#include "fitting/run_selection.h"
#include "fitting/solver_log.h"

namespace florenz {
namespace {

double ParsePositive(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    throw ConfigError(SourceLocation{flag, 0, 0}, "'" + text + "' is not a number");
  }
  return value;
}

std::vector<std::string> DefaultVariables(Law law) {
  switch (law) {
    case Law::kCompute:
      return {"C"};
    case Law::kIsoflop:
      return {"N", "C"};
    case Law::kLrOptimum:
      return {"width", "learning_rate"};
    default:
      return {"N", "D"};
  }
}

}  // namespace

CLI::App* AddFitCommand(CLI::App& app, FitCommand* options) {
  CLI::App* command = app.add_subcommand(
      "fit",
      "Fit a scaling law to a results folder, results.h5 or CSV and print its parameters with "
      "intervals, predictions and held-out errors (docs/fitting.md). Bad input exits with "
      "code 2 and names the file and column.");
  command->add_option("input", options->input, "Results folder, results.h5, or a CSV with header")
      ->required();
  command
      ->add_option("--law", options->law,
                   "loglinear | additive | compute | isoflop | bnsl | lr-optimum")
      ->capture_default_str();
  command->add_option("--x", options->x,
                      "Variables, comma-separated: columns or the short names N, D, C and "
                      "learning_rate, width (default: N,D; compute: C; isoflop: N,C; bnsl: N,D, "
                      "optionally with learning_rate; lr-optimum: width,learning_rate)");
  command
      ->add_option("--y,--metric", options->y, "Response: a column, or a metric m read as final/m")
      ->capture_default_str();
  command->add_option("--where", options->where, "COLUMN=VALUE filter (repeatable)");
  command->add_option("--select", options->select,
                      "For a grid with hyperparameter axes: best[:METRIC] keeps, per (size, "
                      "budget, seed), the run lowest in METRIC (default seen_caption); all "
                      "keeps every run");
  command
      ->add_option("--compute", options->compute,
                   "C as training FLOPs (3 x flops_per_sample x samples) or the paper's "
                   "forward MACs (flops_per_sample / 2 x samples): flops | macs")
      ->capture_default_str();
  command->add_flag("--with-irreducible", options->with_irreducible,
                    "Compute law: fit L = E + a C^b instead of L = a C^b");
  command->add_option("--predict", options->predict,
                      "Predict at VAR=VALUE,... (e.g. N=1e9,D=1e7; repeatable)");
  command->add_option("--holdout", options->holdout,
                      "Fit without some points and report the error of predicting them: "
                      "largest[:K] (the K largest-compute points), size:NAME (every point of "
                      "that size) or budget:>D (every point of more than D samples); with "
                      "--bootstrap also a prediction interval for each");
  command
      ->add_option("--target", options->target,
                   "run: fit every run; seed-mean: fit the mean over seeds of each cell (size, "
                   "budget, axis values), with each cell's seed floor")
      ->capture_default_str();
  command->add_option("--smooth", options->smooth,
                      "last:K: the response is the mean of each run's last K evaluations "
                      "(read from the run files), not its final value");
  command
      ->add_option("--bootstrap", options->bootstrap,
                   "Bootstrap resamples K for percentile intervals (0 = none)")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Bootstrap seed")->capture_default_str();
  command->add_option("--threads", options->threads, "Threads (0 = all cores)")
      ->capture_default_str();
  command->add_option("--confidence", options->confidence, "Interval level")->capture_default_str();
  command->add_option("--json", options->json, "Also write the result as JSON to FILE");
  command->add_option("--plot", options->plot, "Also draw the fit to FILE.png or FILE.svg");
  return command;
}

int RunFitCommand(const FitCommand& command) {
  HideSolverWarnings();
  FitOptions options;
  options.law = LawFromString(command.law);
  options.with_irreducible = command.with_irreducible;
  if (command.with_irreducible && options.law != Law::kCompute) {
    throw ConfigError(SourceLocation{"--with-irreducible", 0, 0},
                      "applies to --law compute only (the additive law always has E)");
  }
  if (command.bootstrap < 0) {
    throw ConfigError(SourceLocation{"--bootstrap", 0, 0}, "must be >= 0");
  }
  options.bootstrap = command.bootstrap;
  options.seed = command.seed;
  options.threads = command.threads;
  options.confidence = command.confidence;
  ParseHoldout(command.holdout, &options);
  if (command.target != "run" && command.target != "seed-mean") {
    throw ConfigError(SourceLocation{"--target", 0, 0},
                      "'" + command.target + "' is not run or seed-mean");
  }
  for (const std::string& point : command.predict) {
    std::map<std::string, double> at;
    for (const std::string& pair : SplitNonEmpty(point, ',')) {
      const size_t eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw ConfigError(SourceLocation{"--predict", 0, 0},
                          "'" + pair + "' is not VAR=VALUE (e.g. N=1e9,D=1e7)");
      }
      at[pair.substr(0, eq)] = ParsePositive(pair.substr(eq + 1), "--predict");
    }
    options.predict.push_back(at);
  }

  // Output paths are checked before any work: a missing folder is bad input (exit 2), never
  // PLplot's "IMMEDIATE EXIT" after the fit has run.
  for (const auto& [flag, path] :
       {std::pair<const char*, std::string>{"--plot", command.plot}, {"--json", command.json}}) {
    if (path.empty()) continue;
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (!folder.empty() && !std::filesystem::is_directory(folder)) {
      throw ConfigError(SourceLocation{flag, 0, 0},
                        path + ": no such folder '" + folder.string() + "'");
    }
  }

  FitInputOptions input;
  input.path = command.input;
  input.x = command.x.empty() ? DefaultVariables(options.law) : SplitNonEmpty(command.x, ',');
  input.y = command.y;
  input.where = command.where;
  input.select_metric = ParseSelect(command.select);
  input.compute = ComputeUnitFromString(command.compute);
  input.smooth_last = ParseSmooth(command.smooth);
  input.seed_mean = command.target == "seed-mean";
  std::vector<std::string> notes;
  const FitData data = LoadFitData(input, &notes);

  FitReport report = RunFit(data, options);
  report.notes.insert(report.notes.begin(), notes.begin(), notes.end());
  std::cout << FitReportText(report);
  if (!command.json.empty()) {
    // A temporary of its own renamed over the file: never written through a link there, never
    // left half written (experiments/durable_write.h).
    WriteFileAtomically(command.json, FitReportJson(report));
    std::cout << "wrote " << command.json << "\n";
  }
  if (!command.plot.empty()) {
    PlotFit(data, report, command.plot);
    std::cout << "wrote " << command.plot << "\n";
  }
  return kExitOk;
}

}  // namespace florenz
