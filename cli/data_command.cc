// DataCommand (data_command.h).
#include "cli/data_command.h"

namespace florenz {

CLI::App* DataCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == "data") return sub;
  }
  CLI::App* data = app.add_subcommand(
      "data",
      "Look at a grid's synthetic data (preview), write it as WebDataset shards (export), and "
      "index or inspect a corpus of shards (docs/data.md).");
  data->require_subcommand(1);
  return data;
}

}  // namespace florenz
