// Checkpoints of a run: model, optimizer (AdamW moments and step counts) and the training
// position, written atomically (tmp, fsync, rename) under OUT/checkpoints/<run_id>/. The data
// needs no state (sample i is a pure function of the seed and i) and nothing in the model is
// random, so a run restored from a checkpoint continues bit-identically at the same thread
// count.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>

namespace florenz::train {

struct CheckpointPosition {
  int64_t step = 0;     // optimizer steps done
  int64_t samples = 0;  // samples seen
};

// Writes checkpoint.pt in `dir` (created), replacing the previous one only when complete.
void SaveCheckpoint(const std::filesystem::path& dir, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position);

// Restores the checkpoint in `dir` into `model` and `optimizer`; nullopt when there is none.
// Throws IoError naming the file when it exists but cannot be read.
std::optional<CheckpointPosition> LoadCheckpoint(const std::filesystem::path& dir,
                                                 torch::nn::Module& model,
                                                 torch::optim::Optimizer& optimizer);

}  // namespace florenz::train
