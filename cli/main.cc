// The `florenz` command: one entry point for every subcommand (command_table.h). Errors are
// caught here and only here (with a worker's run boundary): a message, no stack dump, and the
// exit code of core/exit_codes.h.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command_table.h"
#include "core/build_info.h"
#include "core/errors.h"
#include "core/exit_codes.h"

namespace {

constexpr const char* kAbout =
    "florenz: scaling-law studies of systematic generalization in vision-language models.\n"
    "Exit codes: 0 ok, 1 failure, 2 bad input (with FILE:LINE:COLUMN messages), 3 `run` "
    "finished but some runs failed, 4 `run` stopped by SIGTERM/SIGUSR2 after a checkpoint "
    "(requeue: the same command resumes).";

int Dispatch(int argc, char** argv) {
  CLI::App app{kAbout, "florenz"};
  app.require_subcommand(1);
  // The version, the commit and the libraries it was built with (core/build_info.h).
  app.set_version_flag("--version", florenz::VersionText(florenz::GetBuildInfo()));

  const std::vector<florenz::Subcommand> subcommands = florenz::RegisterSubcommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version, or the parse error
    return code == 0 ? florenz::kExitOk : florenz::kExitBadInput;
  }
  for (const auto& subcommand : subcommands) {
    if (*subcommand.command) return subcommand.run();
  }
  return florenz::kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Dispatch(argc, argv);
  } catch (const florenz::ConfigError& e) {
    for (const auto& message : e.messages()) std::cerr << message << "\n";
    return florenz::kExitBadInput;
  } catch (const florenz::SolverError& e) {
    std::cerr << "florenz: " << e.what() << "\n";
    return florenz::kExitFailure;
  } catch (const florenz::IoError& e) {
    std::cerr << "florenz: " << e.what() << "\n";
    return florenz::kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "florenz: internal error: " << e.what() << "\n";
    return florenz::kExitFailure;
  }
}
