// florenz-tokenizer: `florenz data tokenizer` in a process of its own. It trains a SentencePiece
// model on a corpus (workers/data/shards/tokenizer.h) and links no LibTorch: Debian's
// libsentencepiece carries a protobuf-lite whose symbols clash with LibTorch's libprotobuf in
// one process. `florenz data tokenizer ARGS` runs `florenz-tokenizer ARGS` from its own folder;
// the flags are those of `florenz data tokenizer --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "workers/data/shards/shard_index.h"
#include "workers/data/shards/tokenizer.h"

int main(int argc, char** argv) {
  CLI::App app{"Train a SentencePiece model on a corpus's texts (run as `florenz data tokenizer`).",
               "florenz data tokenizer"};
  std::string pattern, out, model_type = "unigram";
  int vocab = 8000;
  bool skip_bad = false;
  app.add_option("pattern", pattern, "Training shards")->required();
  app.add_option("--out", out, "The model file to write")->required();
  app.add_option("--vocab", vocab)->check(CLI::Range(16, 1000000));
  app.add_option("--model-type", model_type)->check(CLI::IsMember({"unigram", "bpe"}));
  app.add_flag("--skip-bad", skip_bad);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? florenz::kExitOk : florenz::kExitBadInput;
  }
  try {
    florenz::data::ShardIndexOptions index_options;
    index_options.skip_bad = skip_bad;
    const florenz::data::ShardIndex index = florenz::data::IndexShards(pattern, index_options);
    florenz::data::TokenizerOptions options;
    options.vocab_size = vocab;
    options.model_type = model_type;
    const florenz::data::TokenizerSummary summary =
        florenz::data::TrainTokenizer(index, out, options);
    std::cout << "wrote " << out << ": " << summary.vocab_size << " pieces from "
              << summary.sentences << " texts of " << index.samples.size() << " samples; languages";
    for (const auto& language : summary.languages) std::cout << " " << language;
    std::cout << "; hash " << summary.hash << "\n";
    if (!index.skipped.empty()) std::cout << index.skipped.size() << " bad samples skipped\n";
    return florenz::kExitOk;
  } catch (const florenz::ConfigError& e) {
    for (const auto& message : e.messages()) std::cerr << message << "\n";
    return florenz::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "florenz: " << e.what() << "\n";
    return florenz::kExitFailure;
  }
}
