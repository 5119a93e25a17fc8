// Training-step time of the largest CPU preset on two ranks with the trainer's own pieces:
// dp = 2 with bucketed, overlapped gradient averaging against one all-reduce per tensor (issue
// 6's target ≥ 1.3×), the averaging's share of the step, and tp = 2 against tp = 1.
//
//   mpiexec -n 2 build/bench/bench_dp_step [--preset xl] [--batch 64] [--steps 7]
//                                          [--bucket-mb 25]
#include <mpi.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "parallel/gradient_buckets.h"
#include "parallel/mpi_check.h"
#include "parallel/process_groups.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/thread_count.h"

namespace {

using Clock = std::chrono::steady_clock;
using florenz::model::Batch;
using florenz::model::EncoderDecoder;

// The quickstart grid's data (symbolic images, six languages), as the other model benches.
std::string Grid(const std::string& preset, int64_t batch) {
  return "experiment: {name: bench}\n"
         "data:\n"
         "  image: symbolic\n"
         "  image_noise: 0.3\n"
         "  max_caption_tokens: 24\n" +
         std::string(florenz::bench::kSixLanguages) + "model: {sizes: [" + preset +
         "]}\ntraining: {budgets: [1k], batch_size: " + std::to_string(batch) + "}\n";
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The slowest rank's value of each entry (a step lasts as long as its slowest rank).
void MaxOverRanks(std::vector<double>& values, MPI_Comm comm) {
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE,
                          MPI_MAX, comm));
}

// A barrier that sleeps instead of spinning (Open MPI's blocking barrier polls a core): the
// idle rank of the tp = 1 measurement must leave the working rank its core.
void SleepingBarrier(MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_CHECK(MPI_Ibarrier(comm, &request));
  int done = 0;
  while (true) {
    MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    usleep(10000);
  }
}

// What one rank trains on: `count` samples from global index `first` of each of `batches`
// global batches of `batch` samples (the trainer's Examples + Collate).
std::vector<Batch> Batches(const florenz::LoadedGrid& grid,
                           const florenz::data::DataGenerator& data, int batches, int64_t batch,
                           int64_t first, int64_t count) {
  const auto& spec = grid.spec;
  std::vector<Batch> out;
  for (int b = 0; b < batches; ++b) {
    std::vector<florenz::data::Example> examples;
    for (int64_t i = 0; i < count; ++i) {
      examples.push_back(data.TrainExample(grid.runs[0].seed(), b * batch + first + i));
    }
    out.push_back(florenz::model::Collate(examples, spec.data.image, spec.data.image_size,
                                          spec.model.patch_size));
  }
  return out;
}

// A model replica with its optimizer, built as the trainer builds it.
struct Replica {
  Replica(const florenz::LoadedGrid& grid, const florenz::TensorParallel& tp)
      : model(grid.runs[0].size(), grid.spec.model,
              florenz::model::ImageFeatures(grid.spec.data.image, grid.spec.model.patch_size),
              static_cast<uint64_t>(grid.runs[0].seed()), tp),
        params(model->parameters()),
        optimizer(params, torch::optim::AdamWOptions(1e-3)) {
    model->train();
  }
  void ZeroGrad() {
    for (auto& p : params) p.mutable_grad().reset();
  }
  EncoderDecoder model;
  std::vector<torch::Tensor> params;
  torch::optim::AdamW optimizer;
};

// One timed step: forward + backward, then `average` (gradient averaging over dp, or nothing),
// then AdamW. Returns {step seconds, seconds in `average`} of this rank.
std::vector<double> TimedStep(Replica& r, const Batch& batch, const std::function<void()>& zero,
                              const std::function<void()>& average) {
  const auto start = Clock::now();
  zero();
  const torch::Tensor loss = r.model->SampleLoss(batch).mean();
  loss.backward();
  const auto averaging = Clock::now();
  average();
  const double average_s = Seconds(averaging);
  r.optimizer.step();
  return {Seconds(start), average_s};
}

// Sizes (elements) of the buckets GradientBuckets forms over `params` (its rule: reverse
// registration order, a bucket closes at the first parameter that reaches `bucket_bytes`).
std::vector<int64_t> BucketSizes(const std::vector<torch::Tensor>& params, int64_t bucket_bytes) {
  std::vector<int64_t> sizes;
  int64_t numel = 0;
  for (size_t k = params.size(); k-- > 0;) {
    numel += params[k].numel();
    if (numel * 4 >= bucket_bytes) {
      sizes.push_back(numel);
      numel = 0;
    }
  }
  if (numel > 0) sizes.push_back(numel);
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  std::string preset = "xl";
  int64_t batch = 64;
  int steps = 7;
  double bucket_mb = 25;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--preset") {
      preset = argv[i + 1];
    } else if (flag == "--batch") {
      batch = std::atoll(argv[i + 1]);
    } else if (flag == "--steps") {
      steps = std::atoi(argv[i + 1]);
    } else if (flag == "--bucket-mb") {
      bucket_mb = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
  constexpr int kWarmup = 2;
  try {
    florenz::train::SetComputeThreads(1);
    const florenz::MpiComm world = florenz::MpiComm::Borrow(MPI_COMM_WORLD);
    if (world.size() != 2) throw florenz::RunError("bench_dp_step runs on 2 ranks (mpiexec -n 2)");
    const bool leader = world.rank() == 0;
    const auto grid = florenz::LoadGridFromString(Grid(preset, batch), "bench.yaml",
                                                  florenz::data::CheckDataSpec);
    const florenz::data::DataGenerator data(grid.spec);
    const int kBatches = 3;
    const florenz::GradientBucketOptions bucket_options{static_cast<int64_t>(bucket_mb * 1e6),
                                                        true};

    // 1. dp = 2: each rank its half of every global batch; the two variants on two replicas
    // of the same model, alternating which goes first from step to step.
    auto dp_groups = florenz::ProcessGroups::Create(world.Duplicate(), 1, 2);
    const std::vector<Batch> shard =
        Batches(grid, data, kBatches, batch, dp_groups->dp_rank() * (batch / 2), batch / 2);
    Replica bucketed(grid, dp_groups->tensor_parallel());
    Replica each(grid, dp_groups->tensor_parallel());
    florenz::GradientBuckets buckets(bucketed.params, dp_groups->dp(), bucket_options);
    int64_t numel = 0;
    for (const auto& p : each.params) numel += p.numel();
    if (leader) {
      std::printf(
          "dp_step: preset %s (%lld parameters in %zu tensors, %.1f MB of float32 gradients), "
          "global batch %lld, 1 thread a rank, median of %d steps after %d warm-up\n",
          preset.c_str(), static_cast<long long>(numel), each.params.size(), numel * 4 / 1e6,
          static_cast<long long>(batch), steps, kWarmup);
    }
    std::vector<double> step_b, step_e, avg_b, avg_e;
    for (int step = -kWarmup; step < steps; ++step) {
      const Batch& input = shard[(step + kWarmup) % kBatches];
      std::vector<double> b, e;
      auto run_bucketed = [&] {
        MPI_CHECK(MPI_Barrier(world.get()));
        b = TimedStep(
            bucketed, input, [&] { buckets.ZeroGrad(); }, [&] { buckets.Finish(); });
      };
      auto run_each = [&] {
        MPI_CHECK(MPI_Barrier(world.get()));
        e = TimedStep(
            each, input, [&] { each.ZeroGrad(); },
            [&] { florenz::AllReduceEachGradient(each.params, dp_groups->dp()); });
      };
      if (step % 2 == 0) {
        run_bucketed();
        run_each();
      } else {
        run_each();
        run_bucketed();
      }
      std::vector<double> all{b[0], b[1], e[0], e[1]};
      MaxOverRanks(all, world.get());
      if (step < 0) continue;
      step_b.push_back(all[0]);
      avg_b.push_back(all[1]);
      step_e.push_back(all[2]);
      avg_e.push_back(all[3]);
    }

    // The averaging alone, on the gradients `each` holds (no backward to overlap with):
    // per tensor, and flat buckets of GradientBuckets' sizes, each blocking.
    std::vector<torch::Tensor> flats;
    for (int64_t n : BucketSizes(each.params, bucket_options.bucket_bytes)) {
      flats.push_back(torch::ones({n}, torch::kFloat32));
    }
    std::vector<double> alone_each, alone_flat;
    for (int r = 0; r < 2 + steps; ++r) {
      MPI_CHECK(MPI_Barrier(world.get()));
      auto start = Clock::now();
      florenz::AllReduceEachGradient(each.params, dp_groups->dp());
      std::vector<double> t{Seconds(start), 0};
      MPI_CHECK(MPI_Barrier(world.get()));
      start = Clock::now();
      for (auto& flat : flats) dp_groups->dp().AllReduce(flat, florenz::ReduceOp::kAverage);
      t[1] = Seconds(start);
      MaxOverRanks(t, world.get());
      if (r < 2) continue;
      alone_each.push_back(t[0]);
      alone_flat.push_back(t[1]);
    }
    if (leader) {
      const double sb = Median(step_b), se = Median(step_e);
      std::printf(
          "\ndp = 2 (%d bucket(s) of <= %.0f MB, overlapped) vs one all-reduce per tensor\n",
          buckets.buckets(), bucket_mb);
      std::printf("%-34s %10s %16s\n", "variant", "step s", "averaging s");
      std::printf("%-34s %10.3f %16.4f\n", "bucketed, overlapped (Finish)", sb, Median(avg_b));
      std::printf("%-34s %10.3f %16.4f\n", "per tensor, after backward", se, Median(avg_e));
      std::printf("speed-up bucketed over per tensor: %.3fx (target 1.3x)\n", se / sb);
      std::printf(
          "averaging alone (no backward): per tensor %.4f s (%.1f%% of the per-tensor step), "
          "%zu flat bucket(s) %.4f s (%.1f%% of the bucketed step)\n",
          Median(alone_each), 100 * Median(alone_each) / se, flats.size(), Median(alone_flat),
          100 * Median(alone_flat) / sb);
    }

    // 2. tp = 2 on both ranks (the whole global batch on each) against tp = 1 on rank 0
    // alone while rank 1 sleeps.
    const std::vector<Batch> whole = Batches(grid, data, kBatches, batch, 0, batch);
    std::vector<double> tp1_steps, tp2_steps;
    if (leader) {
      Replica single(grid, florenz::TensorParallel{});
      for (int step = -kWarmup; step < steps; ++step) {
        const auto t = TimedStep(
            single, whole[(step + kWarmup) % kBatches], [&] { single.ZeroGrad(); }, [] {});
        if (step >= 0) tp1_steps.push_back(t[0]);
      }
    }
    SleepingBarrier(world.get());
    {
      auto tp_groups = florenz::ProcessGroups::Create(world.Duplicate(), 2, 1);
      Replica sharded(grid, tp_groups->tensor_parallel());
      for (int step = -kWarmup; step < steps; ++step) {
        MPI_CHECK(MPI_Barrier(world.get()));
        std::vector<double> t = TimedStep(
            sharded, whole[(step + kWarmup) % kBatches], [&] { sharded.ZeroGrad(); }, [] {});
        MaxOverRanks(t, world.get());
        if (step >= 0) tp2_steps.push_back(t[0]);
      }
    }
    if (leader) {
      const double t1 = Median(tp1_steps), t2 = Median(tp2_steps), d2 = Median(step_b);
      std::printf("\nsame global batch %lld, 1 thread a rank\n", static_cast<long long>(batch));
      std::printf("%-34s %10s %12s\n", "layout", "step s", "samples/s");
      std::printf("%-34s %10.3f %12.1f\n", "tp = 1, 1 rank (1 core)", t1, batch / t1);
      std::printf("%-34s %10.3f %12.1f\n", "tp = 2, 2 ranks (2 cores)", t2, batch / t2);
      std::printf("%-34s %10.3f %12.1f\n", "dp = 2, 2 ranks (2 cores), bucketed", d2, batch / d2);
      std::printf("tp = 2 over tp = 1: %.2fx; tp = 2 over dp = 2 on the same 2 cores: %.2fx\n",
                  t1 / t2, d2 / t2);
    }
  } catch (const std::exception& e) {
    // The other rank may wait in a collective: end the job rather than hang it.
    std::fprintf(stderr, "bench_dp_step: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
