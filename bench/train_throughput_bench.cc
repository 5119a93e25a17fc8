// Training throughput per preset, side by side with PyTorch eager from Python
// (bench/baselines/pytorch_train.py: the same architecture, batches, thread count and precision):
// step time, samples/s, model FLOP/s as a fraction of the measured torch::mm peak, the HDF5
// logging overhead (append + flush per log interval against the steps it covers) and peak
// RSS of each side. Each preset runs in a child process so that peak RSS is its own.
//
// On a GPU (--device cuda, docs/gpu.md) the florenz side is the trainer's step as it runs
// there: batches generated and collated by the input pipeline's background threads into
// pinned memory, copied non_blocking, bf16 autocast (--precision bf16), SDPA; the table adds
// tokens/s, MFU against the bf16 (or fp32) torch::mm peak of an 8192² product measured in the
// same run, and the fraction of step time the input pipeline stalled the GPU. --compile also
// times the Python baseline under torch.compile.
//
//   bench_train_throughput [--presets xs,s,m,l,xl] [--steps 7] [--threads 1] [--no-python]
//                          [--device cpu|cuda] [--precision fp32|bf16] [--image symbolic|rendered]
//                          [--batch 64] [--data-threads N] [--compile]
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "parallel/grad_norm.h"
#include "parallel/mac_counter.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/batch_pipeline.h"
#include "workers/train/precision.h"
#include "workers/train/thread_count.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// The quickstart grid's data (six languages): symbolic images, or rendered 64 px images in
// 8 px patches as florenz_paper.yaml's.
std::string Grid(const std::string& image) {
  return "experiment: {name: bench}\n"
         "data:\n"
         "  image: " +
         image +
         "\n"
         "  image_size: 64\n"
         "  image_noise: 0.3\n"
         "  max_caption_tokens: 24\n" +
         std::string(florenz::bench::kSixLanguages) +
         "model: {patch_size: 8, sizes: [xs, s, m, l, xl, gpu-100m, gpu-300m]}\n"
         "training: {budgets: [1k], batch_size: 64}\n";
}

struct Options {
  int steps = 7, threads = 1, batch = 64, data_threads = 2;
  std::string device = "cpu";
  florenz::Precision precision = florenz::Precision::kFp32;
  florenz::ImageMode image = florenz::ImageMode::kSymbolic;
};

struct Measured {
  double step_s = 0, macs = 0, mm_gflops = 0, flush_s = 0;
  double tokens = 0;       // non-padding tokens a batch (image, prompt, target)
  double stall_share = 0;  // of the timed steps, the share spent waiting for the input pipeline
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

// Waits for the device's queued work (timing on a GPU must include it).
void Sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// The matmul peak the model's FLOP/s are compared with: 512² float32 on the CPU, 8192² in the
// run's precision on a GPU (what its tensor cores reach).
double MatmulGflops(const torch::Device& device, florenz::Precision precision) {
  const int64_t n = device.is_cuda() ? 8192 : 512;
  const auto dtype = precision == florenz::Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
  const auto options = torch::TensorOptions().dtype(dtype).device(device);
  const torch::Tensor a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
  std::vector<double> times;
  for (int i = 0; i < 12; ++i) {
    Sync(device);
    const auto start = Clock::now();
    torch::mm(a, b);
    Sync(device);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return 2.0 * n * n * n / Median(times) / 1e9;
}

// Tokens the model reads and predicts in a batch: real image tokens, prompt and target tokens.
double Tokens(const florenz::model::Batch& b) {
  return b.image_mask.sum().item<double>() + (b.prompt != 0).sum().item<double>() +
         (b.target != 0).sum().item<double>();
}

// In the child: collate and dump the batches, time florenz's steps, measure logging.
Measured MeasureFlorenz(const florenz::LoadedGrid& grid, int preset, const Options& o,
                        const fs::path& dir) {
  using namespace florenz;
  train::SetComputeThreads(o.threads);
  const torch::Device device(o.device);
  const data::DataGenerator generator(grid.spec);
  const ModelSize& size = grid.spec.model.sizes[preset];
  const int64_t b = o.batch;
  auto make = [&](int64_t k) {
    std::vector<data::Example> examples;
    for (int64_t i = 0; i < b; ++i) examples.push_back(generator.TrainExample(0, k * b + i));
    return model::Collate(examples, o.image, 64, 8);
  };
  std::vector<model::Batch> batches;  // the first four, for the Python side and the MAC count
  std::ofstream shapes(dir / "shapes.txt");
  Measured m;
  for (int k = 0; k < 4; ++k) {
    batches.push_back(make(k));
    const model::Batch& b = batches.back();
    m.tokens += Tokens(b) / 4;
    shapes << k << " " << b.image.size(0) << " " << b.image.size(1) << " " << b.image.size(2) << " "
           << b.prompt.size(1) << " " << b.target.size(1) << "\n";
    const std::string p = "b" + std::to_string(k);
    Dump<float>(dir / (p + ".image"), b.image.to(torch::kFloat32));
    Dump<uint8_t>(dir / (p + ".image_mask"), b.image_mask.to(torch::kUInt8));
    Dump<int64_t>(dir / (p + ".prompt"), b.prompt.to(torch::kInt64));
    Dump<int64_t>(dir / (p + ".decoder_input"), b.decoder_input.to(torch::kInt64));
    Dump<int64_t>(dir / (p + ".target"), b.target.to(torch::kInt64));
  }
  model::EncoderDecoder net(size, grid.spec.model, model::ImageFeatures(o.image, 8), 1);
  net->to(device);
  const std::vector<torch::Tensor> params = net->parameters();
  torch::optim::AdamW optimizer(
      params, torch::optim::AdamWOptions(1e-3).betas({0.9, 0.98}).weight_decay(0.01));
  const ParameterSets clipped = ClassifyParameters(*net);
  // On the CPU the batches are made beforehand (the CPU table times the model alone, as
  // before); on a GPU the input pipeline makes fresh ones while the GPU trains, as in a run.
  const bool gpu = device.is_cuda();
  const int total = o.steps + 2;
  train::BatchPipeline pipeline(
      [&](int64_t step) {
        train::StepInputs inputs{gpu ? model::Pinned(make(step)) : batches[step % 4]};
        return inputs;
      },
      0, total, gpu ? o.data_threads : 0);
  std::vector<double> times;
  double stalled = 0, timed = 0;
  for (int step = 0; step < total; ++step) {
    Sync(device);
    const double stall_before = pipeline.stall_seconds();
    const auto start = Clock::now();
    // The trainer's step (workers/train/trainer.cc at tp = dp = 1): the batch onto the device,
    // gradients reset to undefined (GangContext::ZeroGrad), forward under autocast, backward,
    // ClipGradNorm (one host sync, as in the trainer), AdamW.
    const model::Batch batch = model::ToDevice(pipeline.Next().front(), device, gpu);
    for (auto p : params) p.mutable_grad().reset();
    torch::Tensor loss;
    {
      train::AutocastScope autocast(o.precision, device);
      loss = net->SampleLoss(batch).mean();
    }
    loss.backward();
    ClipGradNorm(clipped, 1.0, TensorParallel{});
    optimizer.step();
    Sync(device);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (step >= 2) {
      times.push_back(seconds);
      timed += seconds;
      stalled += pipeline.stall_seconds() - stall_before;
    }
  }
  m.step_s = Median(times);
  m.stall_share = timed > 0 ? stalled / timed : 0;
  {
    torch::NoGradGuard no_grad;
    MacCounter counter;
    for (const auto& b : batches) net->SampleLoss(model::ToDevice(b, device));
    m.macs = counter.macs() / static_cast<double>(batches.size());
  }
  m.mm_gflops = MatmulGflops(device, o.precision);

  // Logging: a run file holding 1,000 train rows gets one more row and a flush.
  ResultsDir results(dir / "results");
  results.Create();
  RunConfig config;
  config.run_id = "bench";
  RunFileLayout layout;
  layout.eval_pairs = {"caption_es"};
  layout.eval_metrics = {"cross_entropy"};
  RunFileWriter writer = RunFileWriter::Create(results, config, layout);
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
  Options o;
  bool python = true, compile = false, presets_given = false;
  std::string image;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--steps") o.steps = std::atoi(value().c_str());
    if (arg == "--threads") o.threads = std::atoi(value().c_str());
    if (arg == "--batch") o.batch = std::atoi(value().c_str());
    if (arg == "--data-threads") o.data_threads = std::atoi(value().c_str());
    if (arg == "--device") o.device = value();
    if (arg == "--image") image = value();
    if (arg == "--no-python") python = false;
    if (arg == "--compile") compile = true;
    if (arg == "--precision" && !florenz::FromString(value(), &o.precision)) {
      std::fprintf(stderr, "--precision: fp32 or bf16\n");
      return 2;
    }
    if (arg == "--presets") {
      presets.clear();
      presets_given = true;
      std::stringstream list(value());
      for (std::string p; std::getline(list, p, ',');) presets.push_back(p);
    }
  }
  const bool gpu = o.device.rfind("cuda", 0) == 0;
  if (gpu && !torch::cuda::is_available()) {
    std::fprintf(stderr,
                 "train_throughput: --device %s needs a GPU, and LibTorch %s sees none (a "
                 "CPU-only build, or no driver)\n",
                 o.device.c_str(), TORCH_VERSION);
    return 2;
  }
  if (gpu && !presets_given) presets = {"gpu-100m", "gpu-300m"};
  if (image.empty()) image = gpu ? "rendered" : "symbolic";
  if (!florenz::FromString(image, &o.image)) {
    std::fprintf(stderr, "--image: symbolic or rendered\n");
    return 2;
  }
  const auto grid =
      florenz::LoadGridFromString(Grid(image), "bench.yaml", florenz::data::CheckDataSpec);
  const fs::path root = fs::temp_directory_path() / "florenz_train_throughput";
  const fs::path script = fs::path(FLORENZ_SOURCE_DIR) / "bench/baselines/pytorch_train.py";
  // Debian's Python (python3-torch) here; FLORENZ_PYTHON names another (a GPU node's PyTorch).
  const char* python_env = std::getenv("FLORENZ_PYTHON");
  const std::string python_binary =
      python_env != nullptr && *python_env != '\0' ? python_env : "/usr/bin/python3";
  std::printf(
      "train_throughput: %s, %s, batch %d, %s images, %d thread(s)%s, median of %d steps, "
      "quickstart data\n",
      o.device.c_str(), florenz::ToString(o.precision).c_str(), o.batch, image.c_str(), o.threads,
      gpu ? (", " + std::to_string(o.data_threads) + " input threads").c_str() : "", o.steps);
  std::printf("%-8s %10s %10s %7s %9s %10s %10s %9s %8s %9s %8s %9s %9s\n", "size", "florenz s",
              "python s", "ratio", "compile s", "samples/s", "tokens/s", "TFLOP/s", "% mm", "stall",
              "log ovh", "RSS MB", "py RSS MB");
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
      const Measured m = MeasureFlorenz(grid, preset, o, dir);
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

    double py_step = 0, py_compiled = 0;
    long py_rss = 0;
    const auto& s = grid.spec.model.sizes[preset];
    auto run_python = [&](bool compiled, double* step, long* rss) {
      const std::string command =
          python_binary + " " + script.string() + " --dir " + dir.string() + " --steps " +
          std::to_string(o.steps) + " --threads " + std::to_string(o.threads) + " --device " +
          o.device + " --precision " + florenz::ToString(o.precision) +
          (compiled ? " --compile" : "") + " --dims " + std::to_string(s.d_model) + "," +
          std::to_string(s.encoder_layers) + "," + std::to_string(s.decoder_layers) + "," +
          std::to_string(s.heads) + "," + std::to_string(s.ffn) + "," +
          std::to_string(grid.spec.model.vocab_size) + "," +
          std::to_string(florenz::model::ImageFeatures(o.image, 8));
      FILE* out = popen(command.c_str(), "r");
      char line[256] = "";
      if (out != nullptr && fgets(line, sizeof(line), out) != nullptr) {
        std::sscanf(line, "median_step_s=%lf peak_rss_kb=%ld", step, rss);
      }
      if (out != nullptr) pclose(out);
    };
    if (python) run_python(false, &py_step, &py_rss);
    long compiled_rss = 0;
    if (python && compile) run_python(true, &py_compiled, &compiled_rss);
    const double flops = 3 * 2 * m.macs / m.step_s;  // forward + backward ≈ 3 × forward
    char compiled_text[32] = "-";
    if (py_compiled > 0) std::snprintf(compiled_text, sizeof(compiled_text), "%.4f", py_compiled);
    std::printf(
        "%-8s %10.4f %10.4f %7.2f %9s %10.0f %10.0f %9.3f %7.1f%% %8.2f%% %7.2f%% %9.0f "
        "%9.0f\n",
        name.c_str(), m.step_s, py_step, py_step > 0 ? py_step / m.step_s : 0.0, compiled_text,
        o.batch / m.step_s, m.tokens / m.step_s, flops / 1e12, 100 * flops / 1e9 / m.mm_gflops,
        100 * m.stall_share, 100 * m.flush_s / (10 * m.step_s), m.rss_kb / 1024.0, py_rss / 1024.0);
  }
  std::printf(
      "ratio = python step / florenz step (> 1: florenz faster); compile s = torch.compile's "
      "step (--compile); %% mm = model FLOP/s / torch::mm peak (%s; on a GPU this is MFU); "
      "stall = share of step time waiting for the input pipeline (GPU only); log ovh = one "
      "append+flush per 10 steps (a run file of 1,000 rows)\n",
      gpu ? "8192x8192 in the run's precision" : "512x512 in the run's precision");
  return 0;
}
