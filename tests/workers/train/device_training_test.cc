// What GPU training adds to the trainer, checked where every machine can: gradient
// accumulation gives the update of one large batch; bf16 (LibTorch's CPU autocast) trains
// close to fp32; tf32 on the CPU is fp32 bit for bit, and its CUDA switches are set for a run
// and restored; background input threads change no bit; a checkpoint loads onto a model
// built for another device string (the path a GPU resume takes) and the run ends identical.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "experiments/grid_loader.h"
#include "experiments/run_file_reader.h"
#include "tests/workers/train/device_test_util.h"
#include "workers/data/data_check.h"
#include "workers/train/precision.h"
#include "workers/train/trainer.h"

namespace florenz::train {
namespace {

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
  // Autocast did run in bfloat16: the first step's loss is not fp32's bit for bit.
  EXPECT_NE(bf16.losses.front(), fp32.losses.front());
  double worst = 0;
  for (size_t i = 0; i < 50; ++i) {
    worst = std::max(worst, std::abs(bf16.losses[i] / fp32.losses[i] - 1));
  }
  std::printf("bf16 against fp32 over 50 steps: largest relative difference %.4f\n", worst);
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

TEST(DeviceTrainingTest, Tf32OnTheCpuIsFp32BitForBit) {
  const Trained fp32 = Train(Grid(320, 0, "fp32"), "tf32_base");
  const Trained tf32 = Train(Grid(320, 0, "tf32"), "tf32");
  ASSERT_EQ(tf32.losses.size(), 10u);
  EXPECT_EQ(tf32.losses, fp32.losses);
  EXPECT_EQ(MaxAbsDifference(tf32.parameters, fp32.parameters), 0.0);
  EXPECT_EQ(RunFileReader::Open(tf32.file).strings().at("precision"), "tf32");
}

TEST(DeviceTrainingTest, Tf32AllowsTensorCoresOnCudaForTheScopeAlone) {
  // The switches are LibTorch's process-wide flags: settable without a GPU, so the scope's
  // set-and-restore is checked here; what they do to a matmul is the gpu test's.
  at::Context& context = at::globalContext();
  const bool cublas = context.allowTF32CuBLAS(), cudnn = context.allowTF32CuDNN();
  context.setAllowTF32CuDNN(false);
  {
    const MatmulPrecisionScope scope(Precision::kTf32, torch::Device("cuda:0"));
    EXPECT_TRUE(scope.tf32());
    EXPECT_TRUE(context.allowTF32CuBLAS());
    EXPECT_TRUE(context.allowTF32CuDNN());
  }
  EXPECT_EQ(context.allowTF32CuBLAS(), cublas);
  EXPECT_FALSE(context.allowTF32CuDNN());
  for (const auto& [precision, device] : std::vector<std::pair<Precision, std::string>>{
           {Precision::kTf32, "cpu"}, {Precision::kFp32, "cuda:0"}, {Precision::kBf16, "cuda"}}) {
    const MatmulPrecisionScope scope(precision, torch::Device(device));
    EXPECT_FALSE(scope.tf32()) << ToString(precision) << " on " << device;
    EXPECT_EQ(context.allowTF32CuBLAS(), cublas);
    EXPECT_FALSE(context.allowTF32CuDNN());
  }
  context.setAllowTF32CuDNN(cudnn);
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
  const std::string text = Grid(640, 0, "fp32", /*checkpoint_interval=*/320);
  const Trained straight = Train(text, "straight");
  // Killed at step 13, after the checkpoint at step 10, and resumed on "cpu:0": the checkpoint
  // is read through the device-mapped loading path a GPU resume takes (the archive mapped onto
  // the model's device), not the default one.
  const Trained moved = TrainInterrupted(text, "moved", "cpu", "cpu:0", /*kill_step=*/13);
  EXPECT_EQ(moved.final_metrics, straight.final_metrics);
  EXPECT_EQ(moved.losses, straight.losses);
}

}  // namespace
}  // namespace florenz::train
