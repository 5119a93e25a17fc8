// `florenz data …`: the parent of the data subcommands (preview, export, index, inspect).
#pragma once

#include <CLI/CLI.hpp>

namespace florenz {

// The `data` subcommand of `app`, created by the first caller.
CLI::App* DataCommand(CLI::App& app);

}  // namespace florenz
