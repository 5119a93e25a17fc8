// A shards grid's indexes and token caches (corpus_preparation.h).
#include "cli/corpus_preparation.h"

#include <filesystem>
#include <iostream>

#include "cli/tokenizer_process.h"
#include "core/errors.h"
#include "core/exit_codes.h"
#include "workers/data/shards/shard_source.h"

namespace florenz {

void PrepareCorpus(const ExperimentSpec& spec) {
  const DataOptions& d = spec.data;
  if (d.source != DataSourceKind::kShards) return;
  const data::CorpusFiles files = data::LocateCorpus(d);
  for (const auto& [pattern, cache] :
       {std::pair{d.train, files.train_tokens}, std::pair{d.eval, files.eval_tokens}}) {
    if (std::filesystem::exists(cache)) continue;
    std::vector<std::string> args = {"encode", pattern, "--model", d.tokenizer, "--out", cache};
    if (d.on_bad_sample == BadSampleAction::kSkip) args.push_back("--skip-bad");
    // The grid's limits: the tokenizer indexes as the run does.
    args.insert(args.end(), {"--max-text-bytes", std::to_string(d.max_text_bytes),
                             "--max-image-pixels", std::to_string(d.max_image_pixels),
                             "--cache-dir", data::CorpusCacheDir(d)});
    std::cout << "florenz run: ";
    const int code = RunTokenizerProgram(args);
    if (code == kExitBadInput) {
      throw ConfigError(SourceLocation{pattern, 0, 0}, "the corpus could not be tokenized");
    }
    if (code != kExitOk)
      throw IoError(cache + ": the tokenizer program failed (exit " + std::to_string(code) + ")");
  }
}

}  // namespace florenz
