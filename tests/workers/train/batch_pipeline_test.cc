// The input pipeline yields exactly the batches of the synchronous path, in step order, with
// 1 and 4 background threads and from a step in the middle (a resumed run); a failure while
// making a step reaches the training loop at that step.
#include "workers/train/batch_pipeline.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <mutex>
#include <stdexcept>
#include <vector>

#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/thread_count.h"

namespace florenz::train {
namespace {

constexpr int64_t kBatch = 8;

const char* kGrid =
    "experiment: {name: pipeline}\n"
    "data: {image: rendered, image_size: 16, languages: [en, de],\n"
    "       coverage: {caption: {en: train, de: eval}, translate: {de: train}}}\n"
    "model: {patch_size: 4, sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]}\n"
    "training: {budgets: [800], batch_size: 8}\n";

class BatchPipelineTest : public ::testing::Test {
 protected:
  BatchPipelineTest()
      : grid_(LoadGridFromString(kGrid, "pipeline.yaml", data::CheckDataSpec)), data_(grid_.spec) {}

  // Step `step`'s inputs: two micro-batches of 4 samples, as the trainer cuts them.
  StepInputs Make(int64_t step) const {
    StepInputs inputs;
    for (int k = 0; k < 2; ++k) {
      std::vector<data::Example> examples;
      for (int i = 0; i < kBatch / 2; ++i) {
        examples.push_back(data_.TrainExample(7, step * kBatch + k * kBatch / 2 + i));
      }
      inputs.push_back(model::Collate(examples, ImageMode::kRendered, 16, 4));
    }
    return inputs;
  }

  static void ExpectEqual(const StepInputs& a, const StepInputs& b, int64_t step) {
    ASSERT_EQ(a.size(), b.size()) << "step " << step;
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_TRUE(torch::equal(a[k].image, b[k].image)) << "step " << step;
      EXPECT_TRUE(torch::equal(a[k].image_mask, b[k].image_mask)) << "step " << step;
      EXPECT_TRUE(torch::equal(a[k].prompt, b[k].prompt)) << "step " << step;
      EXPECT_TRUE(torch::equal(a[k].decoder_input, b[k].decoder_input)) << "step " << step;
      EXPECT_TRUE(torch::equal(a[k].target, b[k].target)) << "step " << step;
    }
  }

  LoadedGrid grid_;
  data::DataGenerator data_;
};

TEST_F(BatchPipelineTest, BackgroundThreadsYieldTheSynchronousBatchesInOrder) {
  for (const int threads : {1, 4}) {
    for (const int64_t first : {int64_t{0}, int64_t{37}}) {  // a fresh and a resumed run
      BatchPipeline pipeline([&](int64_t step) { return Make(step); }, first, 100, threads);
      for (int64_t step = first; step < 100; ++step) {
        ExpectEqual(pipeline.Next(), Make(step), step);
      }
      EXPECT_THROW(pipeline.Next(), RunError);  // past the run's last step
    }
  }
}

TEST_F(BatchPipelineTest, WithoutThreadsEveryStepIsMadeWhenAskedFor) {
  std::vector<int64_t> made;
  BatchPipeline pipeline(
      [&](int64_t step) {
        made.push_back(step);
        return Make(step);
      },
      3, 6, /*threads=*/0);
  EXPECT_TRUE(made.empty());
  ExpectEqual(pipeline.Next(), Make(3), 3);
  EXPECT_EQ(made, std::vector<int64_t>{3});
}

TEST_F(BatchPipelineTest, AFailureReachesTheLoopAtItsStep) {
  BatchPipeline pipeline(
      [&](int64_t step) {
        if (step == 5) throw std::runtime_error("no sample 40");
        return Make(step);
      },
      0, 20, /*threads=*/4);
  for (int64_t step = 0; step < 5; ++step) ExpectEqual(pipeline.Next(), Make(step), step);
  try {
    pipeline.Next();
    FAIL() << "step 5 should have failed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no sample 40");
  }
  // Destroyed with workers parked ahead: joins without hanging.
}

// The pipeline's threads compute serially while the training thread keeps its intra-op
// threads (where LibTorch parallelises with OpenMP, as Debian's and upstream's do).
TEST_F(BatchPipelineTest, PipelineThreadsComputeSeriallyAndLeaveTheRanksThreads) {
  SetComputeThreads(2);
  if (at::get_num_threads() != 2) GTEST_SKIP() << "LibTorch runs one intra-op thread here";
  std::vector<int> seen;
  std::mutex mutex;
  BatchPipeline pipeline(
      [&](int64_t step) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          seen.push_back(at::get_num_threads());
        }
        return Make(step);
      },
      0, 6, /*threads=*/2);
  for (int64_t step = 0; step < 6; ++step) ExpectEqual(pipeline.Next(), Make(step), step);
  ASSERT_EQ(seen.size(), 6u);
  for (int threads : seen) EXPECT_EQ(threads, 1) << at::get_parallel_info();
  EXPECT_EQ(at::get_num_threads(), 2) << "the training thread keeps its threads";
  SetComputeThreads(1);
}

}  // namespace
}  // namespace florenz::train
