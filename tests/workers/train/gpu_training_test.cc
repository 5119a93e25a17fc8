// The trainer on a GPU (CTest label `gpu`; skips, saying why, where LibTorch sees no GPU): a
// run on cuda:0 follows the CPU run of the same grid entry (first 20 losses within 1e-3
// relative in fp32, 3 % in bf16 and 1 % in tf32, whose matmuls do run in TF32); the final
// evaluation with KV-cached beam search runs on the GPU; a checkpoint moves between CPU and
// GPU both ways, and a GPU run resumes on the GPU bit for bit (deterministic algorithms on);
// scaled_dot_product_attention equals the CPU reference.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>

#include "tests/workers/train/device_test_util.h"
#include "workers/model/attention.h"
#include "workers/train/device.h"
#include "workers/train/precision.h"

namespace florenz::train {
namespace {

// cuBLAS picks its reduction order per workspace; with a fixed workspace configuration (read
// when cuBLAS's handle is created, so set before any test touches the GPU; scripts/gpu-check
// sets it too) and deterministic algorithms, a resumed GPU run repeats the straight one.
const bool kFixedCublasWorkspace = setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0) == 0;

// LibTorch's deterministic algorithms for the scope's lifetime (torch.use_deterministic_
// algorithms). warn_only: an op without a deterministic kernel warns instead of throwing, so
// that the test names the loss that differs instead of dying in the op.
class DeterministicAlgorithms {
 public:
  DeterministicAlgorithms()
      : was_(at::globalContext().deterministicAlgorithms()),
        was_warn_only_(at::globalContext().deterministicAlgorithmsWarnOnly()) {
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
  }
  ~DeterministicAlgorithms() {
    at::globalContext().setDeterministicAlgorithms(was_, was_warn_only_);
  }
  DeterministicAlgorithms(const DeterministicAlgorithms&) = delete;
  DeterministicAlgorithms& operator=(const DeterministicAlgorithms&) = delete;

 private:
  bool was_, was_warn_only_;
};

class GpuTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (VisibleGpus() == 0) {
      GTEST_SKIP() << "no GPU: LibTorch " << TORCH_VERSION << " sees 0 CUDA devices"
                   << (torch::cuda::is_available() ? "" : " (a CPU-only build, or no driver)");
    }
  }
};

void ExpectCloseCurves(const std::vector<double>& gpu, const std::vector<double>& cpu,
                       double relative, const std::string& what) {
  ASSERT_GE(gpu.size(), 20u) << what;
  ASSERT_GE(cpu.size(), 20u) << what;
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(gpu[i], cpu[i], relative * cpu[i]) << what << " step " << i + 1;
  }
}

TEST_F(GpuTrainingTest, Fp32OnTheGpuFollowsTheCpuRun) {
  const std::string text = Grid(640, 0, "fp32", 0, "[cross_entropy, bleu]");
  const Trained cpu = Train(text, "gpu_test_cpu");
  RunContext context;
  context.device = "cuda:0";
  context.data_threads = 2;
  const Trained gpu = Train(text, "gpu_test_cuda", context);
  ExpectCloseCurves(gpu.losses, cpu.losses, 1e-3, "fp32");
  EXPECT_NEAR(gpu.final_metrics.at("seen_caption"), cpu.final_metrics.at("seen_caption"),
              1e-3 * cpu.final_metrics.at("seen_caption"));
  EXPECT_TRUE(gpu.final_metrics.count("seen_caption_bleu"));  // beam search ran on the GPU
  const RunFileReader reader = RunFileReader::Open(gpu.file);
  EXPECT_EQ(reader.strings().at("device"), "cuda:0");
  EXPECT_FALSE(reader.strings().at("gpu_name").empty());
  EXPECT_FALSE(reader.strings().at("cuda_version").empty());
  EXPECT_FALSE(reader.strings().at("nccl_version").empty());
}

TEST_F(GpuTrainingTest, Bf16OnTheGpuStaysWithinThreePercentOfFp32OnTheCpu) {
  const Trained cpu = Train(Grid(640, 0, "fp32"), "gpu_test_cpu32");
  RunContext context;
  context.device = "cuda:0";
  const Trained gpu = Train(Grid(640, 0, "bf16"), "gpu_test_bf16", context);
  ExpectCloseCurves(gpu.losses, cpu.losses, 0.03, "bf16");
  for (const auto& [name, value] : gpu.parameters) {
    EXPECT_EQ(value.scalar_type(), torch::kFloat32) << name;  // master weights
  }
}

TEST_F(GpuTrainingTest, Tf32OnTheGpuStaysWithinOnePercentOfFp32OnTheCpu) {
  const Trained cpu = Train(Grid(640, 0, "fp32"), "gpu_test_cpu_for_tf32");
  RunContext context;
  context.device = "cuda:0";
  const Trained gpu = Train(Grid(640, 0, "tf32"), "gpu_test_tf32", context);
  ExpectCloseCurves(gpu.losses, cpu.losses, 0.01, "tf32");
  EXPECT_EQ(RunFileReader::Open(gpu.file).strings().at("precision"), "tf32");
}

TEST_F(GpuTrainingTest, Tf32ScopeRunsFloat32MatmulsOnTensorCores) {
  // A float32 product against float64: TF32's 10-bit mantissa shows as an error near 1e-3
  // (on a GPU with TF32 tensor cores, Ampere or newer), plain float32 near 1e-6.
  torch::manual_seed(5);
  const torch::Device cuda("cuda:0");
  const torch::Tensor a = torch::randn({1024, 1024}, torch::dtype(torch::kFloat64));
  const torch::Tensor b = torch::randn({1024, 1024}, torch::dtype(torch::kFloat64));
  const torch::Tensor exact = a.mm(b);
  auto error = [&] {
    const torch::Tensor p = a.to(cuda, torch::kFloat32).mm(b.to(cuda, torch::kFloat32));
    return ((p.cpu().to(torch::kFloat64) - exact).abs().max() / exact.abs().max()).item<double>();
  };
  const bool before = at::globalContext().allowTF32CuBLAS();
  const double fp32 = error();
  double tf32 = 0;
  {
    const MatmulPrecisionScope scope(Precision::kTf32, cuda);
    tf32 = error();
  }
  EXPECT_EQ(at::globalContext().allowTF32CuBLAS(), before);
  std::printf("matmul relative error against float64: fp32 %.2e, tf32 %.2e\n", fp32, tf32);
  EXPECT_LT(fp32, 1e-5);
  EXPECT_LT(tf32, 1e-2);
  if (tf32 < 1e-5) std::printf("tf32 as exact as fp32: no TF32 tensor cores (before Ampere)\n");
}

TEST_F(GpuTrainingTest, MicroBatchesOnTheGpuGiveTheUpdateOfOneBatch) {
  RunContext context;
  context.device = "cuda:0";
  const Trained whole = Train(Grid(32, 0, "fp32"), "gpu_test_whole", context);
  const Trained micro = Train(Grid(32, 8, "fp32"), "gpu_test_micro", context);
  EXPECT_LT(MaxAbsDifference(whole.parameters, micro.parameters), 1e-6);
}

TEST_F(GpuTrainingTest, ACheckpointMovesBetweenCpuAndGpu) {
  const std::string text = Grid(640, 0, "fp32", /*checkpoint_interval=*/320);
  const Trained cpu = Train(text, "gpu_test_straight");
  const Trained to_cpu = TrainInterrupted(text, "gpu_test_to_cpu", "cuda:0", "cpu", 13);
  const Trained to_gpu = TrainInterrupted(text, "gpu_test_to_gpu", "cpu", "cuda:0", 13);
  ExpectCloseCurves(to_cpu.losses, cpu.losses, 1e-3, "gpu then cpu");
  ExpectCloseCurves(to_gpu.losses, cpu.losses, 1e-3, "cpu then gpu");
  // The same kind of device resumes exactly, with deterministic kernels.
  ASSERT_TRUE(kFixedCublasWorkspace);
  const DeterministicAlgorithms deterministic;
  const Trained gpu = Train(text, "gpu_test_gpu_straight", [] {
    RunContext c;
    c.device = "cuda:0";
    return c;
  }());
  const Trained gpu_resumed = TrainInterrupted(text, "gpu_test_gpu_gpu", "cuda:0", "cuda:0", 13);
  EXPECT_EQ(gpu_resumed.losses, gpu.losses);
}

TEST_F(GpuTrainingTest, AttentionOnTheGpuEqualsTheCpuReference) {
  torch::manual_seed(3);
  const torch::Tensor q = torch::randn({3, 4, 7, 16}), k = torch::randn({3, 4, 9, 16}),
                      v = torch::randn({3, 4, 9, 16});
  const torch::Tensor mask = torch::rand({3, 9}) > 0.3;
  const torch::Tensor cpu =
      model::ScaledDotProductAttention(q, k, v, model::AttentionBias(mask, 7, false));
  const torch::Device cuda("cuda:0");
  const torch::Tensor gpu = model::ScaledDotProductAttention(
      q.to(cuda), k.to(cuda), v.to(cuda), model::AttentionBias(mask.to(cuda), 7, false));
  EXPECT_LT((gpu.cpu() - cpu).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace florenz::train
