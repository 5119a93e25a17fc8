// `florenz validate GRID [--json]`: load, check and expand a grid; print its run table.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace florenz {

struct ValidateCommand {
  std::string grid;
  bool json = false;
};

CLI::App* AddValidateCommand(CLI::App& app, ValidateCommand* options);
// Exit code: 0, or 2 with FILE:LINE:COLUMN messages on stderr for a bad grid.
int RunValidateCommand(const ValidateCommand& options);

}  // namespace florenz
