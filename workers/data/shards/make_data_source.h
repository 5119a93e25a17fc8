// The data source a grid names (data.source): the synthetic generator or its corpus of shards.
#pragma once

#include <memory>

#include "experiments/experiment_spec.h"
#include "workers/data/data_source.h"

namespace florenz::data {

// `spec` must be validated. For shards, the token caches must exist (cli/corpus_preparation.h).
std::unique_ptr<DataSource> MakeDataSource(const ExperimentSpec& spec);

}  // namespace florenz::data
