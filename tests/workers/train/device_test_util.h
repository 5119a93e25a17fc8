// Helpers of the device tests (device_training_test on the CPU, gpu_training_test on a GPU):
// a tiny rendered-image grid and a run trained in a fresh results folder, with its losses,
// final metrics and parameters (copied to the CPU).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "experiments/grid_loader.h"
#include "experiments/run_file_reader.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/trainer.h"

namespace florenz::train {

using Parameters = std::map<std::string, torch::Tensor>;

// A tiny rendered-image run (patch embedding, both attention kinds, the decoder) of
// `budget` samples at batch 32.
// `metrics` is evaluation.metrics (bleu adds the KV-cached beam search to the final evaluation).
inline std::string Grid(int64_t budget, int micro_batch, const char* precision,
                        int64_t checkpoint_interval = 0, const char* metrics = "[cross_entropy]") {
  return "experiment: {name: device}\n"
         "data: {image: rendered, image_size: 16, max_caption_tokens: 20, languages: [en, de],\n"
         "       coverage: {caption: {en: train, de: eval}, translate: {de: train}}}\n"
         "model: {patch_size: 8, sizes: [{name: tiny, d_model: 32, layers: 1, heads: 4, "
         "ffn: 64}]}\n"
         "training: {budgets: [" +
         std::to_string(budget) +
         "], batch_size: 32, micro_batch_size: " + std::to_string(micro_batch) +
         ", precision: " + precision +
         ", log_interval: 1, optimizer: {learning_rate: 3.0e-3}}\n"
         "evaluation: {interval: 0, samples_per_pair: 8, beam_size: 2, max_length: 12, "
         "metrics: " +
         std::string(metrics) +
         "}\n"
         "execution: {threads: 1, checkpoint_interval: " +
         std::to_string(checkpoint_interval) + "}\n";
}

struct Trained {
  std::vector<double> losses;
  Parameters parameters;
  std::map<std::string, double> final_metrics;
  std::filesystem::path file;
};

// A fresh results folder for the test run `name`.
inline ResultsDir FreshResults(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("florenz_device_" + name);
  std::filesystem::remove_all(dir);
  ResultsDir results(dir);
  results.Create();
  return results;
}

// What a finished run left: its losses and final metrics (wall-clock ones left out).
inline void ReadOutcome(const RunOutcome& outcome, Trained* trained) {
  trained->final_metrics = outcome.final_metrics;
  trained->final_metrics.erase("evaluation_seconds");
  trained->final_metrics.erase("training_seconds");
  trained->file = outcome.file;
  trained->losses = RunFileReader::Open(outcome.file).ReadTrain().loss;
}

inline Trained Train(const std::string& grid_text, const std::string& name,
                     RunContext context = {}) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(grid_text, name + ".yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const ResultsDir results = FreshResults(name);
  context.results = &results;
  context.threads = 1;
  Trained trained;
  context.on_trained = [&](torch::nn::Module& model) {
    for (const auto& p : model.named_parameters()) {
      trained.parameters[p.key()] = p.value().detach().cpu().clone();
    }
  };
  ReadOutcome(TrainRun(grid.runs[0], data, context), &trained);
  return trained;
}

// The run trained on `first` ("cpu", "cuda:0") until its attempt dies at step `kill_step`
// (after a checkpoint: the grid must have a checkpoint_interval before it), then resumed on
// `second`: a checkpoint written on one device, loaded onto another.
inline Trained TrainInterrupted(const std::string& grid_text, const std::string& name,
                                const std::string& first, const std::string& second,
                                int64_t kill_step) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(grid_text, name + ".yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const ResultsDir results = FreshResults(name);
  RunContext context;
  context.results = &results;
  context.threads = 1;
  context.device = first;
  context.on_progress = [&](const TrainProgress& p) {
    if (p.step == kill_step) throw std::runtime_error("killed");
  };
  try {
    TrainRun(grid.runs[0], data, context);
  } catch (const std::runtime_error&) {
  }
  context.device = second;
  context.on_progress = nullptr;
  Trained trained;
  ReadOutcome(TrainRun(grid.runs[0], data, context), &trained);
  return trained;
}

inline double MaxAbsDifference(const Parameters& a, const Parameters& b) {
  double worst = 0;
  for (const auto& [name, value] : a) {
    worst = std::max(worst, (value - b.at(name)).abs().max().item<double>());
  }
  return worst;
}

}  // namespace florenz::train
