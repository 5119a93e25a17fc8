// What `florenz validate` and `florenz run` check of a shards grid's corpus before anything
// trains: the shards exist and index (SHARD:KEY for a bad sample), the tokenizer exists, the
// labels cover the grid's pairs (every trained pair in the train shards, every pair in the eval
// shards), and the first sample's image is of the grid's kind and shape. Problems with the grid
// are reported at its FILE:LINE:COL, problems with the data at SHARD:KEY.
#pragma once

#include "experiments/experiment_spec.h"
#include "experiments/spec_locations.h"

namespace florenz::data {

// data::CheckDataSpec, then for data.source shards the checks above. The grid hook of every
// command that runs or validates a grid.
void CheckGridData(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems);

}  // namespace florenz::data
