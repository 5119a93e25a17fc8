// What GPU training adds to the trainer, checked where every machine can: gradient
// accumulation gives the update of one large batch; bf16 (LibTorch's CPU autocast) trains
// close to fp32; background input threads change no bit; a checkpoint loads onto a model
// built for another device string (the path a GPU resume takes) and the run ends identical.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>

#include "experiments/grid_loader.h"
#include "experiments/run_file_reader.h"
#include "workers/data/data_check.h"
#include "workers/train/trainer.h"

namespace florenz::train {
namespace {

using Parameters = std::map<std::string, torch::Tensor>;

// A tiny rendered-image run (patch embedding, both attention kinds, the decoder) of
// `budget` samples at batch 32.
std::string Grid(int64_t budget, int micro_batch, const char* precision,
                 int64_t checkpoint_interval = 0) {
  return "experiment: {name: device}\n"
         "data: {image: rendered, image_size: 16, max_caption_tokens: 20, languages: [en, de],\n"
         "       coverage: {caption: {en: train, de: eval}, translate: {de: train}}}\n"
         "model: {patch_size: 8, sizes: [{name: tiny, d_model: 32, layers: 1, heads: 4, "
         "ffn: 64}]}\n"
         "training: {budgets: [" +
         std::to_string(budget) + "], batch_size: 32, micro_batch_size: " +
         std::to_string(micro_batch) + ", precision: " + precision +
         ", log_interval: 1, optimizer: {learning_rate: 3.0e-3}}\n"
         "evaluation: {interval: 0, samples_per_pair: 8}\n"
         "execution: {threads: 1, checkpoint_interval: " +
         std::to_string(checkpoint_interval) + "}\n";
}

struct Trained {
  std::vector<double> losses;
  Parameters parameters;
  std::map<std::string, double> final_metrics;
  std::filesystem::path file;
};

Trained Train(const std::string& grid_text, const std::string& name, RunContext context = {}) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(grid_text, name + ".yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const auto dir = std::filesystem::temp_directory_path() / ("florenz_device_" + name);
  std::filesystem::remove_all(dir);
  ResultsDir results(dir);
  results.Create();
  context.results = &results;
  context.threads = 1;
  Trained trained;
  context.on_trained = [&](torch::nn::Module& model) {
    for (const auto& p : model.named_parameters()) {
      trained.parameters[p.key()] = p.value().detach().cpu().clone();
    }
  };
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  trained.final_metrics = outcome.final_metrics;
  trained.final_metrics.erase("evaluation_seconds");
  trained.final_metrics.erase("training_seconds");
  trained.file = outcome.file;
  trained.losses = RunFileReader::Open(outcome.file).ReadTrain().loss;
  return trained;
}

double MaxAbsDifference(const Parameters& a, const Parameters& b) {
  double worst = 0;
  for (const auto& [name, value] : a) {
    worst = std::max(worst, (value - b.at(name)).abs().max().item<double>());
  }
  return worst;
}

TEST(DeviceTrainingTest, FourMicroBatchesGiveTheUpdateOfOneBatch) {
  // One optimizer step: the update itself, from the same initial weights.
  const Trained whole = Train(Grid(32, 0, "fp32"), "whole_step");
  const Trained micro = Train(Grid(32, 8, "fp32"), "micro_step");
  ASSERT_EQ(whole.parameters.size(), micro.parameters.size());
  EXPECT_LT(MaxAbsDifference(whole.parameters, micro.parameters), 1e-6);
  ASSERT_EQ(whole.losses.size(), 1u);
  EXPECT_NEAR(micro.losses[0], whole.losses[0], 1e-6 * whole.losses[0]);
  // Twenty steps: the curves stay together (AdamW normalises updates, so float rounding of the
  // summed gradients moves them only in the last digits).
  const Trained whole20 = Train(Grid(640, 0, "fp32"), "whole_run");
  const Trained micro20 = Train(Grid(640, 8, "fp32"), "micro_run");
  ASSERT_EQ(whole20.losses.size(), 20u);
  ASSERT_EQ(micro20.losses.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(micro20.losses[i], whole20.losses[i], 1e-4 * whole20.losses[i]) << "step " << i + 1;
  }
  EXPECT_EQ(RunFileReader::Open(micro20.file).numbers().at("micro_batch_size"), 8);
}

TEST(DeviceTrainingTest, Bf16AutocastTrainsCloseToFp32) {
  const Trained fp32 = Train(Grid(1600, 0, "fp32"), "fp32");
  const Trained bf16 = Train(Grid(1600, 0, "bf16"), "bf16");
  ASSERT_EQ(fp32.losses.size(), 50u);
  ASSERT_EQ(bf16.losses.size(), 50u);
  EXPECT_LT(bf16.losses.back(), 0.8 * bf16.losses.front());  // it learns
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_NEAR(bf16.losses[i], fp32.losses[i], 0.03 * fp32.losses[i]) << "step " << i + 1;
  }
  // Master weights stay float32.
  for (const auto& [name, value] : bf16.parameters) {
    EXPECT_EQ(value.scalar_type(), torch::kFloat32) << name;
  }
  const RunFileReader reader = RunFileReader::Open(bf16.file);
  EXPECT_EQ(reader.strings().at("precision"), "bf16");
  EXPECT_EQ(reader.strings().at("device"), "cpu");
  EXPECT_FALSE(reader.strings().at("torch_version").empty());
}

TEST(DeviceTrainingTest, BackgroundInputThreadsChangeNoBit) {
  const Trained inline_batches = Train(Grid(320, 16, "fp32"), "inline");
  RunContext context;
  context.data_threads = 3;
  const Trained threaded = Train(Grid(320, 16, "fp32"), "threaded", context);
  EXPECT_EQ(threaded.losses, inline_batches.losses);
  EXPECT_EQ(threaded.final_metrics, inline_batches.final_metrics);
  EXPECT_EQ(MaxAbsDifference(threaded.parameters, inline_batches.parameters), 0.0);
}

TEST(DeviceTrainingTest, ACheckpointLoadsOntoAModelBuiltForAnotherDevice) {
  torch::set_num_threads(1);
  const std::string text = Grid(640, 0, "fp32", /*checkpoint_interval=*/320);
  const Trained straight = Train(text, "straight");

  const LoadedGrid grid = LoadGridFromString(text, "moved.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const auto dir = std::filesystem::temp_directory_path() / "florenz_device_moved";
  std::filesystem::remove_all(dir);
  ResultsDir results(dir);
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  context.on_progress = [](const TrainProgress& p) {
    if (p.step == 13) throw std::runtime_error("killed after the checkpoint at step 10");
  };
  EXPECT_THROW(TrainRun(grid.runs[0], data, context), std::runtime_error);
  // Resumed on "cpu:0": the checkpoint is read through the device-mapped loading path a GPU
  // resume takes (archive onto the model's device), not the default one.
  context.on_progress = nullptr;
  context.device = "cpu:0";
  const RunOutcome resumed = TrainRun(grid.runs[0], data, context);
  auto metrics = resumed.final_metrics;
  metrics.erase("evaluation_seconds");
  metrics.erase("training_seconds");
  EXPECT_EQ(metrics, straight.final_metrics);
  EXPECT_EQ(RunFileReader::Open(resumed.file).ReadTrain().loss, straight.losses);
}

}  // namespace
}  // namespace florenz::train
