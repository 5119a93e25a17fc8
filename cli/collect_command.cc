// `florenz collect` (see collect_command.h).
#include "cli/collect_command.h"

#include <filesystem>
#include <iostream>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "experiments/collect.h"
#include "experiments/results_dir.h"

namespace florenz {

CLI::App* AddCollectCommand(CLI::App& app, CollectCommand* options) {
  CLI::App* command = app.add_subcommand(
      "collect",
      "Gather the final metrics of every finished run in a results folder into "
      "OUT/results.h5 and OUT/results.csv (docs/results-format.md). Unfinished runs are "
      "counted, not written.");
  command->add_option("out", options->out, "Results folder (the --out of `florenz run`)")
      ->required();
  return command;
}

int RunCollectCommand(const CollectCommand& options) {
  if (!std::filesystem::is_directory(options.out)) {
    throw ConfigError(SourceLocation{options.out, 0, 0},
                      "not a results folder (no such directory)");
  }
  // A results folder has the experiment.yaml `florenz run` writes first; anything else gets no
  // results.h5 of its own.
  const ResultsDir results(options.out);
  if (!std::filesystem::exists(results.ExperimentYaml()) &&
      !std::filesystem::is_directory(results.RunsDir())) {
    throw ConfigError(SourceLocation{options.out, 0, 0},
                      "not a results folder (no experiment.yaml, no runs/): give the --out of "
                      "a `florenz run`");
  }
  const CollectSummary summary = CollectResults(options.out);
  for (const auto& note : summary.set_aside) std::cerr << "florenz collect: " << note << "\n";
  for (const auto& problem : summary.problems) std::cerr << "florenz collect: " << problem << "\n";
  std::cout << summary.BriefReport() << "\n";
  return summary.problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace florenz
