// `florenz data export`: florenz's synthetic data written as a WebDataset corpus, so that the
// shards path can be tried (and tested) without a corpus of one's own. Scene i of the grid's
// preview split (a function of data.seed and i) yields one sample per (task, language) pair
// of the grid's coverage matrix, trained or evaluation-only (the coverage decides what a run
// trains, not the corpus): key "<scene, 8 digits>-<pair>", a .json label (sample_label.h) and,
// for captions and translations with their image, the scene rendered as a .png.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"

namespace florenz::data {

struct ExportOptions {
  int64_t scenes = 1000;            // scenes exported (samples = scenes × pairs)
  int64_t first_scene = 0;          // scenes first_scene … first_scene + scenes - 1 (eval shards
                                    // after the train shards' scenes: no scene in both)
  int64_t scenes_per_shard = 1000;  // scenes per shard
  std::string prefix = "train";     // shards are <prefix>-000000.tar, <prefix>-000001.tar, …
};

struct ExportSummary {
  std::vector<std::string> shards;
  int64_t samples = 0;
  std::string pattern;  // the brace pattern of the shards written
};

// Writes the shards into `out_dir` (created). `spec` must be validated. Throws IoError when a
// shard cannot be written.
ExportSummary ExportSyntheticShards(const ExperimentSpec& spec, const std::string& out_dir,
                                    const ExportOptions& options);

}  // namespace florenz::data
