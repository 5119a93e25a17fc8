// muP (model.parametrization: mup): the coordinate check of Yang et al. (2022). After a few
// Adam steps on one batch, how much each layer's output moved (mean |x_T − x_0| per coordinate)
// stays flat from width 32 to 256 under muP, while under the standard parametrisation it grows
// with the width. At its base width a muP model is the standard one, bit for bit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "workers/model/encoder_decoder.h"
#include "workers/train/learning_rate_groups.h"

namespace florenz::train {
namespace {

constexpr int kBaseWidth = 32;
constexpr int64_t kVocab = 64;

ModelSize Width(int width) {
  ModelSize size;
  size.name = "w" + std::to_string(width);
  size.d_model = width;
  size.encoder_layers = 1;
  size.decoder_layers = 1;
  size.heads = 4;
  size.ffn = 4 * width;
  return size;
}

ModelOptions Options(Parametrization parametrization) {
  ModelOptions options;
  options.vocab_size = kVocab;
  options.parametrization = parametrization;
  options.base_width = parametrization == Parametrization::kMup ? kBaseWidth : 0;
  return options;
}

// The same 16 samples every time: 4 image tokens of 8 features, 6 prompt and 8 target tokens.
model::Batch FixedBatch() {
  torch::manual_seed(11);
  model::Batch batch;
  const int64_t b = 16;
  batch.image = torch::rand({b, 4, 8});
  batch.image_mask = torch::ones({b, 4}, torch::kBool);
  batch.prompt = torch::randint(3, kVocab, {b, 6}, torch::kInt64);
  batch.target = torch::randint(3, kVocab, {b, 8}, torch::kInt64);
  batch.decoder_input =
      torch::cat({torch::ones({b, 1}, torch::kInt64), batch.target.narrow(1, 0, 7)}, 1);
  return batch;
}

// Mean |x_T − x_0| of every traced coordinate (model::EncoderDecoder::Coordinates) after
// `steps` AdamW steps at rate 1e-2 (muP: its hidden matrices × base_width / width).
std::vector<double> CoordinateChange(Parametrization parametrization, int width, int steps = 4) {
  const ModelSize size = Width(width);
  const ModelOptions options = Options(parametrization);
  model::EncoderDecoder model(size, options, /*image_features=*/8, /*seed=*/1);
  const model::Batch batch = FixedBatch();
  std::vector<torch::Tensor> before;
  {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& x : model->Coordinates(batch)) before.push_back(x.clone());
  }
  LearningRateGroups groups = MakeLearningRateGroups(*model, options, size);
  const std::vector<double> multipliers = groups.multipliers;
  torch::optim::AdamW optimizer(std::move(groups.groups),
                                torch::optim::AdamWOptions(1e-2).weight_decay(0));
  SetLearningRate(optimizer, 1e-2, multipliers);
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    model->SampleLoss(batch).mean().backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> after = model->Coordinates(batch);
  std::vector<double> change;
  for (size_t k = 0; k < after.size(); ++k) {
    change.push_back((after[k] - before[k]).abs().mean().item<double>());
  }
  return change;
}

class MupTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(MupTest, CoordinatesStayFlatAcrossWidthsUnderMupAndGrowUnderStandard) {
  const std::vector<int> widths = {32, 64, 128, 256};
  for (const Parametrization p : {Parametrization::kMup, Parametrization::kStandard}) {
    std::vector<std::vector<double>> change;
    for (const int w : widths) change.push_back(CoordinateChange(p, w));
    double largest_growth = 0, smallest_growth = 1e9;
    for (size_t k = 0; k < change[0].size(); ++k) {
      const double growth = change.back()[k] / change.front()[k];  // width 256 over width 32
      largest_growth = std::max(largest_growth, growth);
      smallest_growth = std::min(smallest_growth, growth);
      std::printf("%s coordinate %zu: %.3g %.3g %.3g %.3g (x%.2f)\n",
                  p == Parametrization::kMup ? "mup     " : "standard", k, change[0][k],
                  change[1][k], change[2][k], change[3][k], growth);
    }
    if (p == Parametrization::kMup) {
      // Flat: within a factor 2 either way over an 8x wider model, at every layer and the logits.
      EXPECT_LT(largest_growth, 2.0);
      EXPECT_GT(smallest_growth, 0.5);
    } else {
      // Standard: the updates' effect grows with the width.
      EXPECT_GT(largest_growth, 4.0);
    }
  }
}

TEST_F(MupTest, AtItsBaseWidthAMupModelIsTheStandardModel) {
  const std::vector<double> standard = CoordinateChange(Parametrization::kStandard, kBaseWidth, 2);
  const std::vector<double> mup = CoordinateChange(Parametrization::kMup, kBaseWidth, 2);
  EXPECT_EQ(standard, mup);
}

}  // namespace
}  // namespace florenz::train
