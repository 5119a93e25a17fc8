// Training 20 steps at (tp, dp) ∈ {(1,1), (2,1), (1,2), (2,2)} under mpiexec -n 4 (and the
// first three under -n 2), and dp 2 with 4 micro-batches a step: every layout's per-step losses
// equal the one-process run's within 1e-5 relative, and so does every parameter tensor at the end
// (L2-relative, each rank's shard against the same slice of the one-process model). The full
// trainer runs: data shards, bucketed dp gradient averaging, tensor-parallel layers, tp-aware
// clipping, checkpoint shards, the final evaluation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "experiments/run_file_reader.h"
#include "parallel/process_groups.h"
#include "tests/mpi_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/trainer.h"

namespace florenz::train {
namespace {

using Parameters = std::map<std::string, torch::Tensor>;

constexpr int64_t kHeadDim = 4;  // d_model 16 / heads 4 in Grid()

std::string Grid(int tp, int dp, int micro_batch = 0) {
  return "experiment: {name: layouts}\n"
         "data:\n"
         "  image: symbolic\n"
         "  max_caption_tokens: 20\n"
         "  languages: [en, de]\n"
         "  coverage:\n"
         "    caption: {en: train, de: eval}\n"
         "    translate: {de: train}\n"
         "model:\n"
         "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 4, ffn: 32}]\n"
         "training:\n"
         "  budgets: [320]\n"
         "  batch_size: 16\n"
         "  micro_batch_size: " +
         std::to_string(micro_batch) +
         "\n"
         "  log_interval: 1\n"
         "  grad_clip: 0.5\n"
         "  optimizer: {learning_rate: 3.0e-3}\n"
         "evaluation: {interval: 160, samples_per_pair: 8}\n"
         "parallel: {tensor_parallel: " +
         std::to_string(tp) + ", data_parallel: " + std::to_string(dp) +
         "}\n"
         "execution: {checkpoint_interval: 160, threads: 1}\n";
}

using testing::WorldRank;
using testing::WorldSize;

struct Trained {
  std::vector<double> losses;  // per step, from the run file (gang leader only)
  int64_t gradient_allreduces = 0;
  int gradient_buckets = 0;
  Parameters parameters;  // this rank's shard
  std::map<std::string, double> final_metrics;
};

Trained Train(int tp, int dp, ProcessGroups* groups, const std::filesystem::path& out,
              int micro_batch = 0) {
  const LoadedGrid grid =
      LoadGridFromString(Grid(tp, dp, micro_batch), "layouts.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  if (!groups || groups->rank() == 0) std::filesystem::remove_all(out);
  if (groups) groups->gang().Barrier();
  ResultsDir results(out);
  if (!groups || groups->rank() == 0) results.Create();
  if (groups) groups->gang().Barrier();
  Trained trained;
  RunContext context;
  context.results = &results;
  context.threads = 1;
  context.groups = groups;
  context.on_trained = [&](torch::nn::Module& model) {
    for (const auto& p : model.named_parameters()) {
      trained.parameters[p.key()] = p.value().detach().clone();
    }
  };
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  trained.final_metrics = outcome.final_metrics;
  trained.gradient_allreduces = outcome.gradient_allreduces;
  trained.gradient_buckets = outcome.gradient_buckets;
  if (!groups || groups->rank() == 0) {
    trained.losses = RunFileReader::Open(outcome.file).ReadTrain().loss;
  }
  return trained;
}

// A parameter without its attention key bias. The key bias gets no gradient mathematically
// (softmax is invariant to adding q·b to every score of a query), so what backward computes
// for it is float32 roundoff, which Adam's 1/sqrt(v) scales up to real steps: noise that no two
// summation orders share, and nothing a layout could compute "right". Fused layouts per head:
// qkv [H, 3, dh] (k is 1), kv [H, 2, dh] (k is 0).
torch::Tensor WithoutKeyBias(const std::string& name, const torch::Tensor& p, int64_t dh) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("qkv.bias")) {
    const torch::Tensor heads = p.view({-1, 3, dh});
    return torch::stack({heads.select(1, 0), heads.select(1, 2)}, 1);
  }
  if (ends_with("kv.bias")) return p.view({-1, 2, dh}).select(1, 1);
  return p;
}

// The slice of a one-process parameter that a tensor-parallel rank holds: the dimension whose
// size differs, split evenly, this rank's part.
torch::Tensor ShardOf(const torch::Tensor& full, const torch::Tensor& shard, int tp_rank) {
  for (int64_t d = 0; d < full.dim(); ++d) {
    if (full.size(d) != shard.size(d)) {
      return full.narrow(d, tp_rank * shard.size(d), shard.size(d));
    }
  }
  return full;
}

class ParallelTrainingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(1);
    // The one-process reference, on every rank (each its own folder).
    reference_ =
        new Trained(Train(1, 1, nullptr, Folder("reference-" + std::to_string(WorldRank()))));
  }
  static void TearDownTestSuite() { delete reference_; }
  static std::filesystem::path Folder(const std::string& name) {
    return std::filesystem::temp_directory_path() / "florenz_parallel_training" / name;
  }

  // Trains at (tp, dp) on gangs of tp·dp consecutive world ranks, in micro-batches of
  // `micro_batch` samples per rank (0: one per step), and compares with the reference.
  void ExpectLayoutMatchesOneProcess(int tp, int dp, int micro_batch = 0) {
    const int gang_size = tp * dp;
    ASSERT_EQ(WorldSize() % gang_size, 0);
    const int gang = WorldRank() / gang_size;
    auto groups =
        ProcessGroups::Create(MpiComm::Borrow(MPI_COMM_WORLD).Split(gang, WorldRank()), tp, dp);
    const std::string name = "tp" + std::to_string(tp) + "dp" + std::to_string(dp) + "mb" +
                             std::to_string(micro_batch) + "-gang" + std::to_string(gang);
    const Trained trained = Train(tp, dp, groups.get(), Folder(name), micro_batch);
    if (dp > 1) {
      // One all-reduce per bucket and step (20 steps), not per micro-batch.
      EXPECT_GT(trained.gradient_buckets, 0);
      EXPECT_EQ(trained.gradient_allreduces, 20 * trained.gradient_buckets) << name;
    }
    if (groups->rank() == 0) {
      ASSERT_EQ(trained.losses.size(), 20u);
      ASSERT_EQ(reference_->losses.size(), 20u);
      for (size_t s = 0; s < 20; ++s) {
        EXPECT_NEAR(trained.losses[s], reference_->losses[s], 1e-5 * reference_->losses[s])
            << name << " step " << s + 1;
      }
    }
    ASSERT_EQ(trained.parameters.size(), reference_->parameters.size());
    for (const auto& [key, shard] : trained.parameters) {
      const torch::Tensor full_shard =
          ShardOf(reference_->parameters.at(key), shard, groups->tp_rank());
      ASSERT_EQ(shard.sizes(), full_shard.sizes()) << key;
      const torch::Tensor expected = WithoutKeyBias(key, full_shard, kHeadDim);
      const torch::Tensor actual = WithoutKeyBias(key, shard, kHeadDim);
      // Relative error of the tensor, ||actual − expected|| / ||expected||.
      const double scale = std::max(expected.norm().item<double>(), 1e-12);
      EXPECT_LT((actual - expected).norm().item<double>() / scale, 1e-5) << name << " " << key;
    }
    for (const char* metric : {"unseen_caption", "seen_caption", "seen_translate"}) {
      EXPECT_NEAR(trained.final_metrics.at(metric), reference_->final_metrics.at(metric),
                  1e-5 * reference_->final_metrics.at(metric))
          << name << " " << metric;
    }
  }

  static Trained* reference_;
};

Trained* ParallelTrainingTest::reference_ = nullptr;

TEST_F(ParallelTrainingTest, TensorParallelTwoMatchesOneProcess) {
  ExpectLayoutMatchesOneProcess(2, 1);
}

TEST_F(ParallelTrainingTest, DataParallelTwoMatchesOneProcess) {
  ExpectLayoutMatchesOneProcess(1, 2);
}

// Gradient accumulation under dp 2: 8 samples per rank in 4 micro-batches of 2, the dp
// all-reduce once per step, and still the one-process run's numbers.
TEST_F(ParallelTrainingTest, DataParallelTwoWithFourMicroBatchesMatchesOneProcess) {
  ExpectLayoutMatchesOneProcess(1, 2, /*micro_batch=*/2);
}

// A kill while the tp shards of a checkpoint were written: rank 1 never got its newest shard
// (step 15) while rank 0 did. The gang falls back together to step 10, the newest step every
// shard has, instead of failing the run, and still ends with the one-process numbers.
TEST_F(ParallelTrainingTest, AnIncompleteShardSetFallsBackToTheLastCompleteGeneration) {
  const int tp = 2;
  const int gang = WorldRank() / tp;
  auto groups =
      ProcessGroups::Create(MpiComm::Borrow(MPI_COMM_WORLD).Split(gang, WorldRank()), tp, 1);
  std::string text = Grid(tp, 1);
  text.replace(text.find("checkpoint_interval: 160"), 24, "checkpoint_interval: 80");
  const LoadedGrid grid = LoadGridFromString(text, "layouts.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const auto out = Folder("shards-gang" + std::to_string(gang));
  if (groups->rank() == 0) std::filesystem::remove_all(out);
  groups->gang().Barrier();
  ResultsDir results(out);
  if (groups->rank() == 0) results.Create();
  groups->gang().Barrier();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  context.groups = groups.get();
  // Checkpoints at steps 5, 10 and 15; every rank throws at step 17.
  setenv("FLORENZ_FAULT", "tiny-320:throw@17", 1);
  EXPECT_ANY_THROW(TrainRun(grid.runs[0], data, context));
  unsetenv("FLORENZ_FAULT");
  const auto dir = results.CheckpointDir(grid.runs[0].id);
  groups->gang().Barrier();
  if (groups->rank() == 1) {
    ASSERT_TRUE(std::filesystem::exists(dir / "checkpoint-tp1of2.previous.pt"));
    std::filesystem::remove(dir / "checkpoint-tp1of2.pt");
  }
  groups->gang().Barrier();
  const RunOutcome resumed = TrainRun(grid.runs[0], data, context);
  EXPECT_EQ(resumed.status, RunStatus::kCompleted);
  for (const char* metric : {"unseen_caption", "seen_caption", "seen_translate"}) {
    EXPECT_NEAR(resumed.final_metrics.at(metric), reference_->final_metrics.at(metric),
                1e-5 * reference_->final_metrics.at(metric))
        << metric;
  }
  if (groups->rank() == 0) {
    const auto losses = RunFileReader::Open(resumed.file).ReadTrain().loss;
    ASSERT_EQ(losses.size(), 20u);
    for (size_t s = 0; s < 20; ++s) {
      EXPECT_NEAR(losses[s], reference_->losses[s], 1e-5 * reference_->losses[s]) << s + 1;
    }
  }
}

TEST_F(ParallelTrainingTest, TensorAndDataParallelTwoByTwoMatchOneProcess) {
  if (WorldSize() % 4 != 0) GTEST_SKIP() << "tp 2 × dp 2 needs 4 ranks";
  ExpectLayoutMatchesOneProcess(2, 2);
}

TEST_F(ParallelTrainingTest, ARunNeedsTheGangItsLayoutNames) {
  const LoadedGrid grid = LoadGridFromString(Grid(2, 1), "layouts.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(Folder("wrong-gang-" + std::to_string(WorldRank())));
  RunContext context;
  context.results = &results;
  EXPECT_THAT([&] { TrainRun(grid.runs[0], data, context); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr(
                  "needs tensor_parallel 2 × data_parallel 1 = 2 ranks; it was given a gang of "
                  "tensor_parallel 1 × data_parallel 1")));
}

}  // namespace
}  // namespace florenz::train
