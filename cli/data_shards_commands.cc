// The corpus commands (data_shards_commands.h): flags to workers/data/shards/, results printed.
#include "cli/data_shards_commands.h"

#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/data_command.h"
#include "cli/tokenizer_process.h"
#include "core/errors.h"
#include "core/exit_codes.h"
#include "experiments/grid_loader.h"
#include "workers/data/shards/corpus_check.h"
#include "workers/data/shards/shard_index.h"
#include "workers/data/shards/shard_inspection.h"
#include "workers/data/shards/synthetic_export.h"

namespace florenz {

CLI::App* AddDataExportCommand(CLI::App& app, DataExportCommand* options) {
  CLI::App* command = DataCommand(app)->add_subcommand(
      "export",
      "Write the grid's synthetic data as WebDataset shards (PNG + JSON per sample): one sample "
      "per scene and (task, language) pair of the coverage matrix.");
  command->add_option("grid", options->grid, "Grid YAML file")->required();
  command->add_option("--out", options->out, "Folder for the shards (created)")->required();
  command->add_option("--scenes", options->scenes, "Scenes to export")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  command->add_option("--per-shard", options->per_shard, "Scenes per shard")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  command
      ->add_option("--first-scene", options->first_scene,
                   "First scene number (eval shards after the train shards' scenes share none)")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000000000}))
      ->capture_default_str();
  command->add_option("--prefix", options->prefix, "Shard names: PREFIX-000000.tar, …")
      ->check([](const std::string& p) -> std::string {
        if (p.empty()) return "empty: shards need a name prefix (PREFIX-000000.tar)";
        return p.find('/') != std::string::npos ? "'" + p +
                                                      "' holds a '/': a file name prefix "
                                                      "without '/' (--out sets the folder)"
                                                : std::string();
      })
      ->capture_default_str();
  return command;
}

int RunDataExportCommand(const DataExportCommand& options) {
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckGridData);
  if (grid.spec.data.source != DataSourceKind::kSynthetic) {
    throw ConfigError(SourceLocation{options.grid, 0, 0},
                      "data export writes a synthetic grid's data; this grid reads shards");
  }
  data::ExportOptions exported;
  exported.scenes = options.scenes;
  exported.scenes_per_shard = options.per_shard;
  exported.first_scene = options.first_scene;
  exported.prefix = options.prefix;
  const data::ExportSummary summary = data::ExportSyntheticShards(grid.spec, options.out, exported);
  std::cout << "wrote " << summary.samples << " samples in " << summary.shards.size()
            << " shard(s): " << summary.pattern << "\n";
  return kExitOk;
}

CLI::App* AddDataIndexCommand(CLI::App& app, DataIndexCommand* options) {
  CLI::App* command = DataCommand(app)->add_subcommand(
      "index",
      "Index a corpus of WebDataset shards: every sample's byte ranges and (task, language), "
      "cached in the user's cache folder ($XDG_CACHE_HOME/florenz or ~/.cache/florenz; "
      "--cache-dir), never beside the shards. A bad sample stops with SHARD:KEY and the reason "
      "(exit 2) unless --skip-bad.");
  command
      ->add_option("pattern", options->pattern, "Shards, e.g. 'corpus/train-{000000..000127}.tar'")
      ->required();
  command->add_flag("--skip-bad", options->skip_bad, "Skip bad samples, count and list them");
  command->add_flag("--no-cache", options->no_cache, "Neither read nor write the cached index");
  command->add_option("--cache-dir", options->cache_dir,
                      "The folder of the cached index (default: the user's cache folder)");
  return command;
}

int RunDataIndexCommand(const DataIndexCommand& options) {
  data::ShardIndexOptions index_options;
  index_options.skip_bad = options.skip_bad;
  index_options.cache_dir = options.no_cache            ? ""
                            : options.cache_dir.empty() ? data::UserCacheDir()
                                                        : options.cache_dir;
  std::string note;
  const data::ShardIndex index = data::IndexShards(options.pattern, index_options, &note);
  std::cout << index.samples.size() << " samples in " << index.shards.size() << " shard(s) ("
            << note << ")\n";
  for (const auto& [pair, count] : index.PairCounts()) {
    std::cout << "  " << pair << ": " << count << "\n";
  }
  if (!index.skipped.empty()) {
    std::cout << index.skipped.size() << " skipped:\n";
    for (const auto& s : index.skipped) std::cout << "  " << s.where << ": " << s.reason << "\n";
  }
  return kExitOk;
}

CLI::App* AddDataInspectCommand(CLI::App& app, DataInspectCommand* options) {
  CLI::App* command = DataCommand(app)->add_subcommand(
      "inspect",
      "Print what a corpus holds: samples per (task, language), text lengths, image kinds and "
      "sizes; with --grid, the grid's coverage matrix against the corpus.");
  command
      ->add_option("pattern", options->pattern, "Shards, e.g. 'corpus/train-{000000..000127}.tar'")
      ->required();
  command->add_option("--grid", options->grid, "A grid whose coverage to check against the corpus");
  command->add_flag("--skip-bad", options->skip_bad, "Skip bad samples, count and list them");
  return command;
}

int RunDataInspectCommand(const DataInspectCommand& options) {
  std::optional<LoadedGrid> grid;
  if (!options.grid.empty()) grid = LoadGrid(options.grid, data::CheckGridData);
  data::ShardIndexOptions index_options;
  index_options.skip_bad = options.skip_bad;
  index_options.cache_dir = data::UserCacheDir();
  const data::ShardIndex index = data::IndexShards(options.pattern, index_options);
  std::cout << data::InspectShards(index, grid ? &grid->spec : nullptr);
  return kExitOk;
}

CLI::App* AddDataTokenizerCommand(CLI::App& app, DataTokenizerCommand* options) {
  CLI::App* command = DataCommand(app)->add_subcommand(
      "tokenizer",
      "Train a SentencePiece model on a corpus's texts (captions, translations and their "
      "sources), with <lang_xx> for every language, <caption> and <translate> as control "
      "symbols. Deterministic: the same corpus gives the same model (its hash is printed).");
  command
      ->add_option("pattern", options->pattern,
                   "Training shards, e.g. 'corpus/train-{000000..000127}.tar'")
      ->required();
  command->add_option("--out", options->out, "The model file to write (e.g. tok.model)")
      ->required();
  command
      ->add_option("--vocab", options->vocab, "Vocabulary size (at most; a small corpus gets less)")
      ->check(CLI::Range(16, 1000000))
      ->capture_default_str();
  command->add_option("--model-type", options->model_type, "unigram or bpe")
      ->check(CLI::IsMember({"unigram", "bpe"}))
      ->capture_default_str();
  command->add_flag("--skip-bad", options->skip_bad, "Skip bad samples, count and list them");
  return command;
}

int RunDataTokenizerCommand(const DataTokenizerCommand& options) {
  std::vector<std::string> args = {"train",        options.pattern,   "--out",
                                   options.out,    "--vocab",         std::to_string(options.vocab),
                                   "--model-type", options.model_type};
  if (options.skip_bad) args.push_back("--skip-bad");
  const std::string cache_dir = data::UserCacheDir();
  if (!cache_dir.empty()) args.insert(args.end(), {"--cache-dir", cache_dir});
  return RunTokenizerProgram(args);
}

}  // namespace florenz
