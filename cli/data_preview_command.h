// `florenz data preview GRID --count N --out DIR`: lets a user see the grid's data — the
// images as PNG, and a samples.md with, per image, its caption in every language, the
// training examples it yields under the grid's coverage, and the evaluation-only pairs.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace florenz {

struct DataPreviewCommand {
  std::string grid;
  int count = 8;
  std::string out;
};

// Adds `data` and its one subcommand `preview`; returns `preview`.
CLI::App* AddDataPreviewCommand(CLI::App& app, DataPreviewCommand* preview);
int RunDataPreviewCommand(const DataPreviewCommand& options);

}  // namespace florenz
