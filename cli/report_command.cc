// `florenz report` (see report_command.h): parse the flags, write the report, print where it is.
#include "cli/report_command.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "core/strings.h"
#include "fitting/fit_driver.h"
#include "fitting/report.h"
#include "fitting/solver_log.h"

namespace florenz {
namespace {

std::vector<double> ParseFactors(const std::string& text) {
  std::vector<double> factors;
  for (const std::string& part : Split(text, ',')) {
    char* end = nullptr;
    const double value = std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(value) ||
        !(value > 1)) {
      throw ConfigError(SourceLocation{"--extrapolate", 0, 0},
                        "'" + part + "' is not a factor > 1 (e.g. --extrapolate 10,100)");
    }
    factors.push_back(value);
  }
  if (factors.empty()) {
    throw ConfigError(SourceLocation{"--extrapolate", 0, 0}, "give at least one factor > 1");
  }
  return factors;
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, ReportCommand* options) {
  CLI::App* command = app.add_subcommand(
      "report",
      "Write the study report of a collected results folder: DIR/report/index.html with PNG "
      "figures (cross-entropy vs compute with the Pareto frontier for unseen captioning, seen "
      "translation and seen captioning; the log-linear law in N and D with intervals and "
      "p-values; its extrapolation to larger models; BLEU with and without the decoder prefix; "
      "disambiguation accuracy). Views whose metrics the grid did not record say so on the "
      "page. Run `florenz collect DIR` first (docs/fitting.md).");
  command->add_option("dir", options->dir, "Results folder holding results.h5")->required();
  command->add_option("--out", options->out, "Report folder (default: DIR/report)");
  command
      ->add_option("--compute", options->compute,
                   "Compute axis: training FLOPs (3 x flops_per_sample x samples) or the "
                   "paper's forward MACs: flops | macs")
      ->capture_default_str();
  command->add_option("--confidence", options->confidence, "Interval level")->capture_default_str();
  command
      ->add_option("--extrapolate", options->extrapolate,
                   "Predict at these multiples of the largest trained model size, "
                   "comma-separated")
      ->capture_default_str();
  command
      ->add_option("--select", options->select,
                   "Runs of a grid with hyperparameter axes: best[:METRIC] fits, per (size, "
                   "budget, seed), the run lowest in METRIC (default seen_caption) and adds a "
                   "sensitivity table; all fits every run; auto = best when the runs have axes")
      ->capture_default_str();
  command->add_option("--law", options->law,
                      "Held-out section under an explicit protocol: fit this law (loglinear, "
                      "additive, compute, bnsl) through florenz fit's driver on every run, "
                      "instead of the log-linear law on the selected runs");
  command->add_option("--holdout", options->holdout,
                      "With --law: a held-out check, size:NAME, budget:>D or largest[:K] "
                      "(repeatable; default: the largest size and the budgets above half the "
                      "largest)");
  command
      ->add_option("--target", options->target,
                   "With --law: run (every run a point) or seed-mean (each cell's mean over "
                   "seeds, with its seed floor)")
      ->capture_default_str();
  command->add_option("--smooth", options->smooth,
                      "With --law: last:K fits the mean of each run's last K evaluations");
  command
      ->add_option("--bootstrap", options->bootstrap,
                   "With --law: resamples for the held-out prediction intervals (0 = none)")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Bootstrap seed")->capture_default_str();
  return command;
}

int RunReportCommand(const ReportCommand& command) {
  HideSolverWarnings();
  ReportOptions options;
  options.dir = command.dir;
  options.out = command.out;
  options.compute = ComputeUnitFromString(command.compute);
  options.confidence = command.confidence;
  options.extrapolate = ParseFactors(command.extrapolate);
  options.select = command.select;
  const bool protocol = !command.holdout.empty() || command.target != "run" ||
                        !command.smooth.empty() || command.bootstrap != 0;
  if (command.law.empty() && protocol) {
    throw ConfigError(SourceLocation{"--law", 0, 0},
                      "--holdout, --target, --smooth and --bootstrap set the held-out "
                      "section's protocol, which needs --law");
  }
  if (!command.law.empty()) {
    const Law law = LawFromString(command.law);
    if (law == Law::kIsoflop || law == Law::kLrOptimum) {
      throw ConfigError(SourceLocation{"--law", 0, 0},
                        command.law +
                            " predicts no held-out losses; use loglinear, additive, "
                            "compute or bnsl");
    }
    if (command.target != "run" && command.target != "seed-mean") {
      throw ConfigError(SourceLocation{"--target", 0, 0},
                        "'" + command.target + "' is not run or seed-mean");
    }
    if (command.bootstrap < 0) {
      throw ConfigError(SourceLocation{"--bootstrap", 0, 0}, "must be >= 0");
    }
    for (const std::string& check : command.holdout) {
      FitOptions probe;
      ParseHoldout(check, &probe);  // a bad check is bad input before any work
    }
    options.prediction.law = command.law;
    options.prediction.holdouts = command.holdout;
    options.prediction.seed_mean = command.target == "seed-mean";
    options.prediction.smooth_last = ParseSmooth(command.smooth);
    options.prediction.bootstrap = command.bootstrap;
    options.prediction.seed = command.seed;
  }
  const ReportSummary summary = WriteStudyReport(options);
  std::cout << summary.BriefReport() << "\n";
  std::cout << "findings:\n";
  for (const std::string& line : summary.findings) std::cout << "- " << line << "\n";
  return kExitOk;
}

}  // namespace florenz
