// florenz-tokenizer: SentencePiece in a process of its own. It links no LibTorch: Debian's
// libsentencepiece carries a protobuf-lite whose symbols clash with LibTorch's libprotobuf in
// one process. Two subcommands:
//   train PATTERN --out M ...   `florenz data tokenizer` (its flags, see its --help): trains a
//                               model on the corpus's texts (workers/data/shards/tokenizer.h);
//   encode PATTERN --model M --out F [--skip-bad] [--max-text-bytes B] [--max-image-pixels P]
//                               writes the token cache of the indexed shards
//                               (workers/data/shards/token_cache.h), as `florenz run` asks
//                               before a shards grid trains (with the grid's data limits).
// Both index with the limits: no text over --max-text-bytes is read, so the process holds at
// most one sample's bounded texts besides what SentencePiece keeps.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "workers/data/shards/shard_index.h"
#include "workers/data/shards/token_cache.h"
#include "workers/data/shards/tokenizer.h"

namespace {

int Train(const std::string& pattern, const std::string& out, int vocab,
          const std::string& model_type, const florenz::data::ShardIndexOptions& index_options) {
  const florenz::data::ShardIndex index = florenz::data::IndexShards(pattern, index_options);
  florenz::data::TokenizerOptions options;
  options.vocab_size = vocab;
  options.model_type = model_type;
  const florenz::data::TokenizerSummary summary =
      florenz::data::TrainTokenizer(index, out, options);
  std::cout << "wrote " << out << ": " << summary.vocab_size << " pieces from " << summary.sentences
            << " texts of " << index.samples.size() << " samples; languages";
  for (const auto& language : summary.languages) std::cout << " " << language;
  std::cout << "; hash " << summary.hash << "\n";
  if (!index.skipped.empty()) std::cout << index.skipped.size() << " bad samples skipped\n";
  return florenz::kExitOk;
}

int Encode(const std::string& pattern, const std::string& model, const std::string& out,
           const florenz::data::ShardIndexOptions& index_options) {
  const florenz::data::ShardIndex index = florenz::data::IndexShards(pattern, index_options);
  const florenz::data::Tokenizer tokenizer = florenz::data::Tokenizer::Load(model);
  const florenz::data::TokenCache cache = florenz::data::EncodeCorpus(index, tokenizer);
  florenz::data::WriteTokenCache(out, cache);
  std::cout << "tokenized " << cache.samples() << " samples of " << pattern << " ("
            << cache.ids.size() << " tokens) with " << model << " -> " << out << "\n";
  return florenz::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "SentencePiece for florenz: train a model on a corpus (`florenz data tokenizer`) "
      "or write a corpus's token cache (`florenz run` asks for it).",
      "florenz-tokenizer"};
  app.require_subcommand(1);
  std::string pattern, out, model, model_type = "unigram";
  int vocab = 8000;
  florenz::data::ShardIndexOptions index_options;
  // The ranges of data.max_text_bytes and data.max_image_pixels (experiments/spec_validation.cc).
  const auto limits = [&index_options](CLI::App* command) {
    command->add_flag("--skip-bad", index_options.skip_bad);
    command->add_option("--max-text-bytes", index_options.max_text_bytes)
        ->check(CLI::Range(int64_t{256}, int64_t{64} << 20));
    command->add_option("--max-image-pixels", index_options.max_image_pixels)
        ->check(CLI::Range(int64_t{1024}, int64_t{1} << 32));
    command->add_option("--cache-dir", index_options.cache_dir,
                        "The folder of the cached index (default: none)");
  };
  CLI::App* train = app.add_subcommand("train", "Train a model (flags of florenz data tokenizer)");
  train->add_option("pattern", pattern, "Training shards")->required();
  train->add_option("--out", out, "The model file to write")->required();
  train->add_option("--vocab", vocab)->check(CLI::Range(16, 1000000));
  train->add_option("--model-type", model_type)->check(CLI::IsMember({"unigram", "bpe"}));
  limits(train);
  CLI::App* encode = app.add_subcommand("encode", "Write the token cache of shards");
  encode->add_option("pattern", pattern, "Shards")->required();
  encode->add_option("--model", model, "The SentencePiece model")->required();
  encode->add_option("--out", out, "The token cache to write")->required();
  limits(encode);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? florenz::kExitOk : florenz::kExitBadInput;
  }
  try {
    return train->parsed() ? Train(pattern, out, vocab, model_type, index_options)
                           : Encode(pattern, model, out, index_options);
  } catch (const florenz::ConfigError& e) {
    for (const auto& message : e.messages()) std::cerr << message << "\n";
    return florenz::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "florenz: " << e.what() << "\n";
    return florenz::kExitFailure;
  }
}
