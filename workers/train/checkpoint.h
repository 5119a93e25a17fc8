// Checkpoints of a run: model, optimizer (AdamW moments and step counts) and the training
// position, written atomically (tmp, fsync, rename) under OUT/checkpoints/<run_id>/. The data
// needs no state (sample i is a pure function of the seed and i) and nothing in the model is
// random, so a run restored from a checkpoint continues bit-identically at the same thread
// count on the same kind of device. Tensors are stored with their values only; loading maps
// them onto the device asked for, so checkpoints do not depend on where they were written.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace florenz::train {

struct CheckpointPosition {
  int64_t step = 0;     // optimizer steps done
  int64_t samples = 0;  // samples seen
};

// Writes checkpoint<shard>.pt in `dir` (created), replacing the previous one only when
// complete. `shard` names a tensor-parallel rank's file ("-tp1of2"); "" for a whole model.
void SaveCheckpoint(const std::filesystem::path& dir, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position,
                    const std::string& shard = "");

// Restores the checkpoint in `dir` into `model` and `optimizer`, every tensor onto `device`
// (the model's: a checkpoint written on a GPU resumes on a CPU and the other way round);
// nullopt when there is none. Throws IoError naming the file when it exists but cannot be read.
std::optional<CheckpointPosition> LoadCheckpoint(const std::filesystem::path& dir,
                                                 torch::nn::Module& model,
                                                 torch::optim::Optimizer& optimizer,
                                                 const std::string& shard = "",
                                                 const torch::Device& device = torch::kCPU);

}  // namespace florenz::train
