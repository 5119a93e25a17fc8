// `florenz data inspect`: what a corpus holds — samples per (task, language) pair, text lengths,
// image kinds and sizes — and, given a grid, its coverage matrix against the corpus: how many
// samples each trained or evaluation-only pair has, and which corpus pairs the grid ignores.
#pragma once

#include <string>

#include "experiments/experiment_spec.h"
#include "workers/data/shards/shard_index.h"

namespace florenz::data {

// The width and height of an image member from its first bytes (PNG IHDR, JPEG SOFn) or the
// shape of a .npy array ([tokens, dim]); false when the bytes do not say.
bool ImageShape(ImageKind kind, const std::string& head, int* first, int* second);

// The report for people. Reads every JSON member and the first 64 KiB of every image. `grid`
// may be null (no coverage matrix).
std::string InspectShards(const ShardIndex& index, const ExperimentSpec* grid);

}  // namespace florenz::data
