// Before a shards grid trains, `florenz run` makes what its workers read: the train and eval
// indexes (cached beside the shards) and their token caches, written by florenz-tokenizer
// (cli/tokenizer_process.h) where they do not exist yet. Nothing is redone for a corpus and
// tokenizer that were prepared before.
#pragma once

#include "experiments/experiment_spec.h"

namespace florenz {

// Does nothing for synthetic data. Throws ConfigError for a missing shard or tokenizer or a bad
// sample (SHARD:KEY), IoError when a token cache cannot be written.
void PrepareCorpus(const ExperimentSpec& spec);

}  // namespace florenz
