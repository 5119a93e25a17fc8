// The subcommands of `florenz`, registered once each from one table (command_table.cc): every
// entry adds its flags to the CLI11 app and keeps them until the parsed command runs.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace florenz {

struct Subcommand {
  CLI::App* command = nullptr;  // true after parsing when the user chose it
  std::function<int()> run;     // runs it with the parsed flags; returns the exit code
};

// Adds every subcommand to `app`, in the order `florenz --help` lists them.
std::vector<Subcommand> RegisterSubcommands(CLI::App& app);

}  // namespace florenz
