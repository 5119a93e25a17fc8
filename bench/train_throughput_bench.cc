// Training throughput per CPU preset, side by side with PyTorch eager from Python
// (bench/baselines/pytorch_train.py: the same architecture, batches, thread count, fp32):
// step time, samples/s, model FLOP/s as a fraction of the measured torch::mm peak, the HDF5
// logging overhead (append + flush per log interval against the steps it covers) and peak
// RSS of each side. Each preset runs in a child process so that peak RSS is its own.
//
//   bench_train_throughput [--presets xs,s,m,l,xl] [--steps 7] [--threads 1] [--no-python]
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "parallel/grad_norm.h"
#include "parallel/mac_counter.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/thread_count.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// The quickstart grid's data (symbolic images, six languages).
constexpr const char* kGrid =
    "experiment: {name: bench}\n"
    "data:\n"
    "  image: symbolic\n"
    "  image_noise: 0.3\n"
    "  max_caption_tokens: 24\n"
    "  languages: [en, de, fr, es, ru, zh]\n"
    "  coverage:\n"
    "    caption: {en: train, de: train, es: eval, zh: eval}\n"
    "    translate: {de: train, fr: train, es: train, ru: train, zh: train}\n"
    "model: {sizes: [xs, s, m, l, xl]}\n"
    "training: {budgets: [1k], batch_size: 64}\n";

struct Measured {
  double step_s = 0, macs = 0, mm_gflops = 0, flush_s = 0;
  long rss_kb = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class T>
void Dump(const fs::path& file, const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  std::ofstream(file, std::ios::binary)
      .write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.nbytes()));
}

double MatmulGflops() {
  const torch::Tensor a = torch::randn({512, 512}), b = torch::randn({512, 512});
  std::vector<double> times;
  for (int i = 0; i < 12; ++i) {
    const auto start = Clock::now();
    torch::mm(a, b);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return 2.0 * 512 * 512 * 512 / Median(times) / 1e9;
}

// In the child: collate and dump the batches, time florenz's steps, measure logging.
Measured MeasureFlorenz(const florenz::LoadedGrid& grid, int preset, int steps, int threads,
                        const fs::path& dir) {
  using namespace florenz;
  train::SetComputeThreads(threads);
  const data::DataGenerator generator(grid.spec);
  const ModelSize& size = grid.spec.model.sizes[preset];
  std::vector<model::Batch> batches;
  std::ofstream shapes(dir / "shapes.txt");
  for (int k = 0; k < 4; ++k) {
    std::vector<data::Example> examples;
    for (int i = 0; i < 64; ++i) examples.push_back(generator.TrainExample(0, k * 64 + i));
    batches.push_back(model::Collate(examples, ImageMode::kSymbolic, 32, 8));
    const model::Batch& b = batches.back();
    shapes << k << " " << b.image.size(0) << " " << b.image.size(1) << " " << b.image.size(2) << " "
           << b.prompt.size(1) << " " << b.target.size(1) << "\n";
    const std::string p = "b" + std::to_string(k);
    Dump<float>(dir / (p + ".image"), b.image.to(torch::kFloat32));
    Dump<uint8_t>(dir / (p + ".image_mask"), b.image_mask.to(torch::kUInt8));
    Dump<int64_t>(dir / (p + ".prompt"), b.prompt.to(torch::kInt64));
    Dump<int64_t>(dir / (p + ".decoder_input"), b.decoder_input.to(torch::kInt64));
    Dump<int64_t>(dir / (p + ".target"), b.target.to(torch::kInt64));
  }
  model::EncoderDecoder net(size, grid.spec.model, model::ImageFeatures(ImageMode::kSymbolic, 8),
                            1);
  const std::vector<torch::Tensor> params = net->parameters();
  torch::optim::AdamW optimizer(
      params, torch::optim::AdamWOptions(1e-3).betas({0.9, 0.98}).weight_decay(0.01));
  const ParameterSets clipped = ClassifyParameters(*net);
  Measured m;
  std::vector<double> times;
  for (int step = 0; step < steps + 2; ++step) {
    const model::Batch& batch = batches[step % batches.size()];
    const auto start = Clock::now();
    // The trainer's step (workers/train/trainer.cc at tp = dp = 1): gradients reset to
    // undefined (GangContext::ZeroGrad), backward, ClipGradNorm, AdamW.
    for (auto p : params) p.mutable_grad().reset();
    torch::Tensor loss = net->SampleLoss(batch).mean();
    loss.backward();
    ClipGradNorm(clipped, 1.0, TensorParallel{});
    optimizer.step();
    if (step >= 2) times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  m.step_s = Median(times);
  {
    torch::NoGradGuard no_grad;
    MacCounter counter;
    for (const auto& b : batches) net->SampleLoss(b);
    m.macs = counter.macs() / static_cast<double>(batches.size());
  }
  m.mm_gflops = MatmulGflops();

  // Logging: a run file holding 1,000 train rows gets one more row and a flush.
  ResultsDir results(dir / "results");
  results.Create();
  RunConfig config;
  config.run_id = "bench";
  RunFileLayout layout;
  layout.eval_pairs = {"caption_es"};
  layout.eval_metrics = {"cross_entropy"};
  RunFileWriter writer = RunFileWriter::Create(results.RunsDir(), config, layout);
  for (int i = 0; i < 1000; ++i) writer.AppendTrain(TrainRecord{i, i * 64, 1.0, 1e-3, 1.0, 0.0});
  std::vector<double> flushes;
  for (int i = 0; i < 9; ++i) {
    const auto start = Clock::now();
    writer.AppendTrain(TrainRecord{1000 + i, 0, 1.0, 1e-3, 1.0, 0.0});
    writer.Flush();
    flushes.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  m.flush_s = Median(flushes);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  m.rss_kb = usage.ru_maxrss;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> presets{"xs", "s", "m", "l", "xl"};
  int steps = 7, threads = 1;
  bool python = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    if (arg == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (arg == "--no-python") python = false;
    if (arg == "--presets" && i + 1 < argc) {
      presets.clear();
      std::stringstream list(argv[++i]);
      for (std::string p; std::getline(list, p, ',');) presets.push_back(p);
    }
  }
  const auto grid = florenz::LoadGridFromString(kGrid, "bench.yaml", florenz::data::CheckDataSpec);
  const fs::path root = fs::temp_directory_path() / "florenz_train_throughput";
  const fs::path script = fs::path(FLORENZ_SOURCE_DIR) / "bench/baselines/pytorch_train.py";
  std::printf(
      "train_throughput: batch 64, %d thread(s), median of %d steps, fp32, quickstart data\n",
      threads, steps);
  std::printf("%-4s %10s %10s %7s %10s %9s %8s %9s %9s %9s\n", "size", "florenz s", "python s",
              "ratio", "samples/s", "GFLOP/s", "% mm", "log ovh", "RSS MB", "py RSS MB");
  for (const auto& name : presets) {
    int preset = -1;
    for (size_t i = 0; i < grid.spec.model.sizes.size(); ++i) {
      if (grid.spec.model.sizes[i].name == name) preset = static_cast<int>(i);
    }
    if (preset < 0) {
      std::fprintf(stderr, "unknown preset %s\n", name.c_str());
      return 2;
    }
    const fs::path dir = root / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    int channel[2];
    if (pipe(channel) != 0) return 1;
    const pid_t child = fork();
    if (child == 0) {
      close(channel[0]);
      const Measured m = MeasureFlorenz(grid, preset, steps, threads, dir);
      if (write(channel[1], &m, sizeof(m)) != sizeof(m)) _exit(1);
      _exit(0);
    }
    close(channel[1]);
    Measured m;
    const bool ok = read(channel[0], &m, sizeof(m)) == sizeof(m);
    close(channel[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (!ok) return 1;

    double py_step = 0;
    long py_rss = 0;
    if (python) {
      const auto& s = grid.spec.model.sizes[preset];
      const std::string command =
          "/usr/bin/python3 " + script.string() + " --dir " + dir.string() + " --steps " +
          std::to_string(steps) + " --threads " + std::to_string(threads) + " --dims " +
          std::to_string(s.d_model) + "," + std::to_string(s.encoder_layers) + "," +
          std::to_string(s.decoder_layers) + "," + std::to_string(s.heads) + "," +
          std::to_string(s.ffn) + "," + std::to_string(grid.spec.model.vocab_size) + ",22";
      FILE* out = popen(command.c_str(), "r");
      char line[256] = "";
      if (out != nullptr && fgets(line, sizeof(line), out) != nullptr) {
        std::sscanf(line, "median_step_s=%lf peak_rss_kb=%ld", &py_step, &py_rss);
      }
      if (out != nullptr) pclose(out);
    }
    const double flops = 3 * 2 * m.macs / m.step_s;  // forward + backward ≈ 3 × forward
    std::printf("%-4s %10.4f %10.4f %7.2f %10.0f %9.2f %7.1f%% %8.2f%% %9.0f %9.0f\n", name.c_str(),
                m.step_s, py_step, py_step > 0 ? py_step / m.step_s : 0.0, 64 / m.step_s,
                flops / 1e9, 100 * flops / 1e9 / m.mm_gflops, 100 * m.flush_s / (10 * m.step_s),
                m.rss_kb / 1024.0, py_rss / 1024.0);
  }
  std::printf(
      "ratio = python step / florenz step (> 1: florenz faster); %% mm = model FLOP/s / "
      "torch::mm 512x512 peak; log ovh = one append+flush per 10 steps (a run file of "
      "1,000 rows)\n");
  return 0;
}
