// `florenz collect OUT`: gather the final metrics of every finished run of a results folder
// into OUT/results.h5 (one column per metric) and OUT/results.csv (one row per run).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace florenz {

struct CollectCommand {
  std::string out;
};

CLI::App* AddCollectCommand(CLI::App& app, CollectCommand* options);
int RunCollectCommand(const CollectCommand& options);

}  // namespace florenz
