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
#include <memory>
#include <optional>
#include <string>

#include "experiments/results_dir.h"

namespace florenz::train {

struct CheckpointPosition {
  int64_t step = 0;     // optimizer steps done
  int64_t samples = 0;  // samples seen
};

// Writes run `run_id`'s checkpoint<shard>.pt (ResultsDir::CheckpointFile; its folder created)
// once it is complete, the one it replaces kept as checkpoint<shard>.previous.pt. `shard` names
// a tensor-parallel rank's file ("-tp1of2"); "" for a whole model. Throws IoError (path and OS
// error) when the disk refuses; the generations already there stay whole. The bytes go to a
// fresh, uniquely named temporary (O_EXCL | O_NOFOLLOW) renamed into place; a symbolic link at
// the folder or at either generation's name is an IoError and its target is never touched.
void SaveCheckpoint(const ResultsDir& results, const std::string& run_id, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position,
                    const std::string& shard = "");

// Two generations are kept per file: checkpoint<shard>.pt (the newest) and
// checkpoint<shard>.previous.pt (the one before), so that a save cut short, a newest file
// that cannot be read, or tp shards of which only some reached the newest step still leave a
// complete checkpoint to resume from.
enum class Generation { kNewest, kPrevious };

// A generation read from disk (its tensors already on the device asked for) but not yet
// restored into a model.
struct CheckpointFile {
  std::filesystem::path file;
  CheckpointPosition position;
  std::shared_ptr<torch::serialize::InputArchive> archive;
};

// Reads generation `which` of run `run_id`'s checkpoint for `shard` onto `device` (the model's:
// a checkpoint written on a GPU resumes on a CPU and the other way round). nullopt when the
// file does not exist, or when it cannot be read — then `problem` says why (file and error).
std::optional<CheckpointFile> ReadCheckpoint(const ResultsDir& results, const std::string& run_id,
                                             const std::string& shard, Generation which,
                                             const torch::Device& device, std::string* problem);

// Restores `checkpoint` into `model` and `optimizer`. Throws IoError naming the file when its
// contents do not fit them.
void RestoreCheckpoint(const CheckpointFile& checkpoint, torch::nn::Module& model,
                       torch::optim::Optimizer& optimizer);

}  // namespace florenz::train
