// Checkpoint files (see checkpoint.h).
#include "workers/train/checkpoint.h"

#include "experiments/errors.h"
#include "experiments/results_dir.h"

namespace florenz::train {
namespace {

std::string FileName(const std::string& shard) { return "checkpoint" + shard + ".pt"; }

}  // namespace

void SaveCheckpoint(const std::filesystem::path& dir, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position,
                    const std::string& shard) {
  std::filesystem::create_directories(dir);
  const auto file = dir / FileName(shard);
  const auto tmp = dir / (FileName(shard) + ".tmp");
  try {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("florenz_optimizer", optimizer_archive);
    archive.write("florenz_step", torch::tensor(position.step, torch::kInt64));
    archive.write("florenz_samples", torch::tensor(position.samples, torch::kInt64));
    archive.save_to(tmp.string());
  } catch (const c10::Error& e) {
    throw IoError(tmp.string() + ": cannot write the checkpoint: " + e.what_without_backtrace());
  }
  SyncFile(tmp);
  std::filesystem::rename(tmp, file);
  SyncDirectory(dir);
}

std::optional<CheckpointPosition> LoadCheckpoint(const std::filesystem::path& dir,
                                                 torch::nn::Module& model,
                                                 torch::optim::Optimizer& optimizer,
                                                 const std::string& shard,
                                                 const torch::Device& device) {
  const auto file = dir / FileName(shard);
  if (!std::filesystem::exists(file)) return std::nullopt;
  try {
    torch::serialize::InputArchive archive;
    // Onto the model's device: InputArchive::read would otherwise move a parameter to the
    // device the checkpoint was written from (set_data).
    archive.load_from(file.string(), device);
    model.load(archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("florenz_optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor step, samples;
    archive.read("florenz_step", step);
    archive.read("florenz_samples", samples);
    return CheckpointPosition{step.cpu().item<int64_t>(), samples.cpu().item<int64_t>()};
  } catch (const c10::Error& e) {
    throw IoError(file.string() + ": cannot read the checkpoint: " + e.what_without_backtrace());
  }
}

}  // namespace florenz::train
