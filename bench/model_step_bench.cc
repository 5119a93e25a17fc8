// Training-step throughput of the CPU model presets: forward + backward + AdamW at batch 64 on
// symbolic images from quickstart-like data, as samples/s and model FLOP/s (3 × analytic forward
// FLOPs per sample), the latter also as a fraction of torch::mm's measured peak. Issue 4's target:
// the largest preset trains ≥ 1,000 samples/min on 2 cores.
//
//   build/bench/bench_model_step [--threads N] [--steps N] [--presets xs,s,m,l,xl]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"
#include "experiments/model_cost.h"
#include "parallel/mac_counter.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"

// Debian's LibTorch does its matrix products in OpenBLAS, whose own thread pool ignores
// torch::set_num_threads; set it too when the library is there (weak: absent elsewhere).
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace {

using Clock = std::chrono::steady_clock;

// The quickstart grid's data section (experiments/grids/quickstart.yaml).
const std::string kGrid =
    "experiment: {name: bench}\n"
    "data:\n"
    "  image: symbolic\n"
    "  image_noise: 0.3\n"
    "  min_objects: 1\n"
    "  max_objects: 2\n"
    "  max_caption_tokens: 24\n" +
    std::string(florenz::bench::kSixLanguages) +
    "model: {vocab_size: 512, sizes: [xs]}\n"
    "training: {budgets: [1k]}\n";

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// torch::mm peak: best GFLOP/s of 9 repetitions of 10 products 512 × 512 × 512 (the best,
// not the median: the development machine is shared, and a peak is what it can reach).
double MatmulPeak() {
  torch::Tensor a = torch::randn({512, 512}), b = torch::randn({512, 512});
  for (int i = 0; i < 5; ++i) torch::mm(a, b);
  std::vector<double> rates;
  for (int r = 0; r < 9; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < 10; ++i) torch::mm(a, b);
    rates.push_back(10 * 2.0 * 512 * 512 * 512 / Seconds(start) / 1e9);
  }
  return *std::max_element(rates.begin(), rates.end());
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, steps = 8;
  std::string presets = "xs,s,m,l,xl";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (flag == "--steps")
      steps = std::atoi(argv[i + 1]);
    else if (flag == "--presets")
      presets = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  torch::set_num_threads(threads);
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(threads);
  const int64_t batch_size = 64;

  const auto grid = florenz::LoadGridFromString(kGrid, "bench.yaml", florenz::data::CheckDataSpec);
  const florenz::data::DataGenerator generator(grid.spec);
  std::vector<florenz::model::Batch> batches;
  for (int b = 0; b < 4; ++b) {
    std::vector<florenz::data::Example> examples;
    for (int64_t i = 0; i < batch_size; ++i) {
      examples.push_back(generator.TrainExample(0, b * batch_size + i));
    }
    batches.push_back(florenz::model::Collate(examples, florenz::ImageMode::kSymbolic, 32, 8));
  }
  florenz::ModelOptions options = grid.spec.model;
  const florenz::SequenceShape shape = florenz::EstimateSequenceShape(grid.spec.data, options);
  const double peak = MatmulPeak();
  std::printf(
      "model_step: forward + backward + AdamW, batch %lld, symbolic quickstart data, "
      "%d thread(s), median of %d steps\n",
      static_cast<long long>(batch_size), threads, steps);
  std::printf(
      "torch::mm 512^3 peak: %.1f GFLOP/s; analytic shape I=%lld S=%lld T=%lld; "
      "batches padded to S=%lld T=%lld\n",
      peak, static_cast<long long>(shape.image_tokens), static_cast<long long>(shape.prompt_tokens),
      static_cast<long long>(shape.target_tokens),
      static_cast<long long>(batches[0].prompt.size(1)),
      static_cast<long long>(batches[0].target.size(1)));
  std::printf("%-6s %10s %10s %9s %10s %11s %8s %9s %10s\n", "preset", "params", "non-emb",
              "step s", "samples/s", "samples/min", "GFLOP/s", "% mm peak", "run/est.");

  std::stringstream list(presets);
  std::string name;
  int64_t smallest = 0, largest = 0;
  while (std::getline(list, name, ',')) {
    florenz::ModelSize size;
    std::string error;
    if (!size.ApplyPreset(name, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 2;
    }
    size.Resolve();
    const florenz::ModelCost cost = florenz::ComputeModelCost(size, options, shape);
    florenz::model::EncoderDecoder model(size, options, florenz::kSymbolicFeatures, 1);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
    double counted = 0;  // MACs per sample of the padded batches, as run
    {
      torch::NoGradGuard no_grad;
      florenz::MacCounter counter;
      model->forward(batches[0]);
      counted = counter.macs() / batch_size;
    }
    std::vector<double> times;
    for (int step = -2; step < steps; ++step) {  // two warm-up steps
      const auto start = Clock::now();
      optimizer.zero_grad();
      torch::Tensor loss = model->SampleLoss(batches[(step + 2) % batches.size()]).mean();
      loss.backward();
      optimizer.step();
      if (step >= 0) times.push_back(Seconds(start));
    }
    const double step_s = Median(times);
    const double rate = batch_size / step_s;
    // Model FLOP/s: 3 × the forward FLOPs of the batches as run (counted matrix products,
    // padding included); the last column compares them with the analytic estimate shape.
    const double gflops = 3 * 2 * counted * rate / 1e9;
    std::printf("%-6s %10lld %10lld %9.3f %10.1f %11.0f %8.2f %8.1f%% %10.2f\n", name.c_str(),
                static_cast<long long>(cost.params),
                static_cast<long long>(cost.non_embedding_params), step_s, rate, 60 * rate, gflops,
                100 * gflops / peak, counted / cost.forward_macs);
    if (smallest == 0) smallest = cost.non_embedding_params;
    largest = cost.non_embedding_params;
  }
  std::printf("non-embedding parameters span first -> last preset: %.1fx\n",
              static_cast<double>(largest) / static_cast<double>(smallest));
  return 0;
}
