// Training throughput per preset, side by side with PyTorch eager from Python
// (bench/baselines/pytorch_train.py: the same architecture, batches, thread count and precision):
// step time, samples/s, model FLOP/s as a fraction of the measured torch::mm peak, device reads
// per step, the HDF5 logging overhead (append + flush per log interval against the steps it
// covers) and peak RSS of each side. Each preset runs in a child process so that peak RSS is
// its own; the parent never touches CUDA (a CUDA context does not survive fork), so the child
// is the one that finds out whether LibTorch sees a GPU.
//
// On a GPU (--device cuda, docs/gpu.md) the florenz side is the trainer's step as it runs
// there: batches generated and collated by the input pipeline's background threads into
// pinned memory, copied non_blocking, bf16 autocast (--precision bf16) or TF32 matmuls
// (--precision tf32), SDPA. The table adds tokens/s; MFU, the model's FLOP/s over the GPU's
// datasheet dense peak for the precision (bench/gpu_peaks.h; n/a, with the reason, for a GPU
// not in the table); the "achievable" peak, an 8192² torch::mm in the run's precision measured
// in the same process, and the model's share of it; and the fraction of step time the input
// pipeline stalled the GPU. What the eager baseline does differently is printed under the
// table. --compile also times the Python baseline under torch.compile (slow: opt-in).
// Lines starting "result " repeat each row as key=value pairs for scripts/gpu-check.
//
//   bench_train_throughput [--presets xs,s,m,l,xl] [--steps 7] [--threads 1] [--no-python]
//                          [--device cpu|cuda] [--precision fp32|bf16|tf32] [--batch 64]
//                          [--image symbolic|rendered] [--data-threads N] [--compile]
//                          [--gpu-name NAME]   (for the datasheet peak, where LibTorch's
//                                               CUDA runtime cannot name the GPU)
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
#include "bench/gpu_peaks.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "parallel/device_reads.h"
#include "parallel/grad_norm.h"
#include "parallel/mac_counter.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/adamw_step.h"
#include "workers/train/batch_pipeline.h"
#include "workers/train/device.h"
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

// What a child sends back through its pipe (plain bytes: no pointers).
struct Measured {
  double step_s = 0, macs = 0, mm_gflops = 0, flush_s = 0;
  double tokens = 0;          // non-padding tokens a batch (image, prompt, target)
  double stall_share = 0;     // of the timed steps, the share spent waiting for the input pipeline
  double reads_per_step = 0;  // florenz::DeviceReads() over the timed steps, per step
  long rss_kb = 0;
  char gpu_name[128] = "";  // cudaGetDeviceProperties' name; "" on the CPU or when unknown
  char error[512] = "";     // why the child measured nothing ("" when it did)
};

void CopyText(const std::string& text, char* out, size_t size) {
  std::snprintf(out, size, "%s", text.c_str());
}

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

// The achievable matmul peak the model's FLOP/s are also compared with: 512² float32 on the CPU,
// 8192² in the run's precision on a GPU (what its tensor cores reach; tf32 is float32 under the
// caller's MatmulPrecisionScope).
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
  // TF32 for every matmul of this process, backward's and the peak's included (as for a run).
  const train::MatmulPrecisionScope matmul_precision(o.precision, device);
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
  int64_t reads = 0;
  for (int step = 0; step < total; ++step) {
    Sync(device);
    const double stall_before = pipeline.stall_seconds();
    const int64_t reads_before = DeviceReads();
    const auto start = Clock::now();
    // The trainer's step (workers/train/trainer.cc at tp = dp = 1): the batch onto the device,
    // gradients reset to undefined (GangContext::ZeroGrad), forward under autocast, backward,
    // ClipGradNorm (no host read: the coefficient stays on the device), StepAdamW (fused on
    // CUDA with LibTorch 2.x).
    const model::Batch batch = model::ToDevice(pipeline.Next().front(), device, gpu);
    for (auto p : params) p.mutable_grad().reset();
    torch::Tensor loss;
    {
      train::AutocastScope autocast(o.precision, device);
      loss = net->SampleLoss(batch).mean();
    }
    loss.backward();
    ClipGradNorm(clipped, 1.0, TensorParallel{});
    train::StepAdamW(optimizer);
    Sync(device);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (step >= 2) {
      reads += DeviceReads() - reads_before;
      times.push_back(seconds);
      timed += seconds;
      stalled += pipeline.stall_seconds() - stall_before;
    }
  }
  m.step_s = Median(times);
  m.stall_share = timed > 0 ? stalled / timed : 0;
  m.reads_per_step = static_cast<double>(reads) / static_cast<double>(times.size());
  CopyText(train::DescribeDevice(device).gpu_name, m.gpu_name, sizeof(m.gpu_name));
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

// How bench/baselines/pytorch_train.py's step differs from the florenz step timed here, as
// the two programs are written (printed under the table: the ratio means this, not more).
std::vector<std::string> EagerDifferences(bool gpu) {
  std::vector<std::string> lines;
  if (gpu) {
    lines.push_back(
        "batches: eager reuses 4 batches built and pinned before timing; florenz generates and "
        "collates every step's batch in its input pipeline's threads, as a run does (stall "
        "says what waiting for them cost)");
    lines.push_back(
        "optimizer: eager's torch.optim.AdamW and clip_grad_norm_ take PyTorch's foreach "
        "(multi-tensor) paths on CUDA; florenz's step runs the fused AdamW kernel (StepAdamW, "
        "LibTorch 2.x) and ClipGradNorm's multi-tensor norm and scaling, reading nothing back");
  } else {
    lines.push_back("batches: both sides reuse the same 4 batches, built before timing");
  }
  lines.push_back(
      "logits: eager projects every decoder position, padding included, onto the full "
      "vocabulary; florenz only the positions with a real target (TFLOP/s, MFU and % achv "
      "count florenz's multiply-adds, the smaller figure)");
  if (gpu) {
    lines.push_back(
        "attention: eager's scaled_dot_product_attention gets explicit float masks (causal "
        "and padding), which rules out the flash kernel");
  }
  return lines;
}

// "12.3" or "-" (a figure that was not measured).
std::string Figure(double value, const char* format) {
  if (value <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> presets{"xs", "s", "m", "l", "xl"};
  Options o;
  bool python = true, compile = false, presets_given = false;
  std::string image, gpu_name_given;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--steps") o.steps = std::atoi(value().c_str());
    if (arg == "--threads") o.threads = std::atoi(value().c_str());
    if (arg == "--batch") o.batch = std::atoi(value().c_str());
    if (arg == "--data-threads") o.data_threads = std::atoi(value().c_str());
    if (arg == "--device") o.device = value();
    if (arg == "--image") image = value();
    if (arg == "--gpu-name") gpu_name_given = value();
    if (arg == "--no-python") python = false;
    if (arg == "--compile") compile = true;
    if (arg == "--precision" && !florenz::FromString(value(), &o.precision)) {
      std::fprintf(stderr, "--precision: fp32, bf16 or tf32\n");
      return 2;
    }
    if (arg == "--presets") {
      presets.clear();
      presets_given = true;
      std::stringstream list(value());
      for (std::string p; std::getline(list, p, ',');) presets.push_back(p);
    }
  }
  if (o.steps < 1) {
    std::fprintf(stderr, "--steps: at least 1\n");
    return 2;
  }
  // No CUDA call in this process: it forks one child per preset, and a CUDA context made
  // before fork() is unusable in the child. Each child checks for the GPU itself.
  const bool gpu = o.device.rfind("cuda", 0) == 0;
  if (gpu && !presets_given) presets = {"gpu-100m", "gpu-300m"};
  if (image.empty()) image = gpu ? "rendered" : "symbolic";
  if (!florenz::FromString(image, &o.image)) {
    std::fprintf(stderr, "--image: symbolic or rendered\n");
    return 2;
  }
  const std::string precision = florenz::ToString(o.precision);
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
      o.device.c_str(), precision.c_str(), o.batch, image.c_str(), o.threads,
      gpu ? (", " + std::to_string(o.data_threads) + " input threads").c_str() : "", o.steps);
  std::printf("%-8s %10s %10s %7s %9s %10s %10s %8s %6s %8s %7s %7s %6s %8s %8s %9s\n", "size",
              "florenz s", "python s", "ratio", "compile s", "samples/s", "tokens/s", "TFLOP/s",
              "MFU", "achv TF", "% achv", "stall", "reads", "log ovh", "RSS MB", "py RSS MB");
  std::string gpu_name, peak_text;
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
    std::fflush(stdout);  // the child's exit must not print the parent's buffer again
    const pid_t child = fork();
    if (child == 0) {
      close(channel[0]);
      Measured m;
      if (gpu && !torch::cuda::is_available()) {
        CopyText("--device " + o.device + " needs a GPU, and LibTorch " + TORCH_VERSION +
                     " sees none (a CPU-only build, or no driver)",
                 m.error, sizeof(m.error));
      } else {
        try {
          m = MeasureFlorenz(grid, preset, o, dir);
        } catch (const std::exception& e) {
          CopyText(e.what(), m.error, sizeof(m.error));
        }
      }
      const bool sent = write(channel[1], &m, sizeof(m)) == sizeof(m);
      _exit(sent ? 0 : 1);
    }
    close(channel[1]);
    Measured m;
    const bool ok = read(channel[0], &m, sizeof(m)) == sizeof(m);
    close(channel[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (!ok) {
      std::fprintf(stderr, "train_throughput: the %s child died (wait status %d)\n", name.c_str(),
                   status);
      return 1;
    }
    if (m.error[0] != '\0') {
      std::fprintf(stderr, "train_throughput: %s\n", m.error);
      return std::strstr(m.error, "needs a GPU") != nullptr ? 2 : 1;
    }

    double py_step = 0, py_compiled = 0;
    long py_rss = 0;
    const auto& s = grid.spec.model.sizes[preset];
    auto run_python = [&](bool compiled, double* step, long* rss) {
      // tf32: the script's fp32 with cuBLAS allowed TF32 through PyTorch's own override
      // (cuDNN allows TF32 by default); on the CPU tf32 is fp32.
      const bool tf32 = o.precision == florenz::Precision::kTf32;
      const std::string command =
          std::string(tf32 && gpu ? "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 " : "") + python_binary +
          " " + script.string() + " --dir " + dir.string() + " --steps " + std::to_string(o.steps) +
          " --threads " + std::to_string(o.threads) + " --device " + o.device + " --precision " +
          (tf32 ? "fp32" : precision) + (compiled ? " --compile" : "") + " --dims " +
          std::to_string(s.d_model) + "," + std::to_string(s.encoder_layers) + "," +
          std::to_string(s.decoder_layers) + "," + std::to_string(s.heads) + "," +
          std::to_string(s.ffn) + "," + std::to_string(grid.spec.model.vocab_size) + "," +
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

    // MFU's denominator: the datasheet's dense peak of this GPU in this precision.
    gpu_name = gpu_name_given.empty() ? m.gpu_name : gpu_name_given;
    double peak_tflops = 0;
    if (gpu) {
      std::string why;
      const auto peak = florenz::bench::FindGpuPeak(gpu_name, &why);
      if (peak && peak->Tflops(o.precision) > 0) {
        peak_tflops = peak->Tflops(o.precision);
        char text[256];
        std::snprintf(text, sizeof(text), "'%s' = %s, datasheet dense %s peak %.1f TFLOP/s",
                      gpu_name.c_str(), peak->model.c_str(), precision.c_str(), peak_tflops);
        peak_text = text;
      } else if (peak) {
        peak_text = "n/a: the " + peak->model + " has no " + precision + " tensor cores";
      } else {
        peak_text = "n/a: " + why;
      }
    } else {
      peak_text = "n/a on the CPU (no datasheet peak: % achv is the measured 512² mm's share)";
    }
    const double flops = 3 * 2 * m.macs / m.step_s;  // forward + backward ≈ 3 × forward
    const double tflops = flops / 1e12, achievable = m.mm_gflops / 1e3;
    const double mfu = peak_tflops > 0 ? tflops / peak_tflops : 0;
    const double ratio = py_step > 0 ? py_step / m.step_s : 0;
    std::printf(
        "%-8s %10.4f %10s %7s %9s %10.0f %10.0f %8.3f %6s %8.2f %6.1f%% %6.2f%% %6.1f %7.2f%% "
        "%8.0f %9s\n",
        name.c_str(), m.step_s, Figure(py_step, "%.4f").c_str(), Figure(ratio, "%.2f").c_str(),
        Figure(py_compiled, "%.4f").c_str(), o.batch / m.step_s, m.tokens / m.step_s, tflops,
        Figure(100 * mfu, "%.1f%%").c_str(), achievable, 100 * tflops / achievable,
        100 * m.stall_share, m.reads_per_step, 100 * m.flush_s / (10 * m.step_s), m.rss_kb / 1024.0,
        Figure(py_rss / 1024.0, "%.0f").c_str());
    std::printf(
        "result size=%s device=%s precision=%s gpu=\"%s\" florenz_step_s=%.6f "
        "python_step_s=%.6f ratio=%.3f compile_step_s=%.6f samples_per_s=%.1f "
        "tokens_per_s=%.0f tflops=%.3f mfu=%s peak_tflops=%.1f achievable_tflops=%.2f "
        "achievable_share=%.4f stall=%.4f reads_per_step=%.2f\n",
        name.c_str(), o.device.c_str(), precision.c_str(), gpu_name.c_str(), m.step_s, py_step,
        ratio, py_compiled, o.batch / m.step_s, m.tokens / m.step_s, tflops,
        mfu > 0 ? Figure(mfu, "%.4f").c_str() : "n/a", peak_tflops, achievable, tflops / achievable,
        m.stall_share, m.reads_per_step);
    std::fflush(stdout);
  }
  std::printf(
      "ratio = python step / florenz step (> 1: florenz faster); compile s = torch.compile's "
      "step (--compile); TFLOP/s = 6 x the forward's multiply-adds / step; MFU = TFLOP/s / the "
      "GPU's datasheet dense peak, here %s; achv TF = the achievable peak, a %s torch::mm "
      "measured in each preset's process, %% achv = TFLOP/s / it; stall = share of step time "
      "waiting for the input pipeline (GPU only); reads = device-to-host reads a step "
      "(florenz::DeviceReads over the timed steps / steps); log ovh = one append+flush per 10 "
      "steps (a run file of 1,000 rows)\n",
      peak_text.c_str(), gpu ? ("8192x8192 " + precision).c_str() : "512x512 float32");
  std::printf("eager baseline (bench/baselines/pytorch_train.py) against florenz's step:\n");
  for (const std::string& line : EagerDifferences(gpu)) std::printf("  - %s\n", line.c_str());
  return 0;
}
