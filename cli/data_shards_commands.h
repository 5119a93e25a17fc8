// `florenz data export | index | inspect`: the WebDataset corpus commands (docs/data.md).
//   export GRID --out DIR [--scenes N] [--per-shard K] [--first-scene F] [--prefix P]
//                                                        the grid's synthetic data as shards
//   index PATTERN [--skip-bad] [--no-cache]              index a corpus (cached beside it)
//   inspect PATTERN [--grid GRID] [--skip-bad]           counts, lengths, sizes, coverage
//   tokenizer PATTERN --out FILE [--vocab N]             train a SentencePiece model
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace florenz {

struct DataExportCommand {
  std::string grid;
  std::string out;
  int64_t scenes = 1000;
  int64_t per_shard = 1000;
  int64_t first_scene = 0;
  std::string prefix = "train";
};
CLI::App* AddDataExportCommand(CLI::App& app, DataExportCommand* options);
int RunDataExportCommand(const DataExportCommand& options);

struct DataIndexCommand {
  std::string pattern;
  bool skip_bad = false;
  bool no_cache = false;
  std::string cache_dir;  // "" : the user's cache folder
};
CLI::App* AddDataIndexCommand(CLI::App& app, DataIndexCommand* options);
int RunDataIndexCommand(const DataIndexCommand& options);

struct DataInspectCommand {
  std::string pattern;
  std::string grid;
  bool skip_bad = false;
};
CLI::App* AddDataInspectCommand(CLI::App& app, DataInspectCommand* options);
int RunDataInspectCommand(const DataInspectCommand& options);

struct DataTokenizerCommand {
  std::string pattern;
  std::string out;
  int vocab = 8000;
  std::string model_type = "unigram";
  bool skip_bad = false;
};
CLI::App* AddDataTokenizerCommand(CLI::App& app, DataTokenizerCommand* options);
int RunDataTokenizerCommand(const DataTokenizerCommand& options);

}  // namespace florenz
