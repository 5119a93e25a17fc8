// `florenz validate` (see validate_command.h).
#include "cli/validate_command.h"

#include <iostream>

#include "cli/run_table.h"
#include "core/exit_codes.h"
#include "experiments/grid_loader.h"
#include "workers/data/shards/corpus_check.h"

namespace florenz {

CLI::App* AddValidateCommand(CLI::App& app, ValidateCommand* options) {
  CLI::App* command = app.add_subcommand(
      "validate",
      "Check a grid file and print its run table: id, size, parameters, samples, estimated "
      "training FLOPs and ranks of every run. Problems are reported as FILE:LINE:COLUMN "
      "(exit code 2).");
  command->add_option("grid", options->grid, "Grid YAML file (see docs/grid-spec.md)")->required();
  command->add_flag("--json", options->json, "Print the run table as JSON");
  return command;
}

int RunValidateCommand(const ValidateCommand& options) {
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckGridData);
  if (options.json) {
    std::cout << RunTableJson(grid);
  } else {
    WriteRunTableText(grid, std::cout);
  }
  return kExitOk;
}

}  // namespace florenz
