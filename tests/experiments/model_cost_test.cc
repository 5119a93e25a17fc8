// Known answers for the analytic parameter and FLOP counts of the model family. The
// expected values are written out matrix by matrix, independently of model_cost.cc's
// grouped formulas.
#include "experiments/model_cost.h"

#include <gtest/gtest.h>

#include "experiments/data_options.h"

namespace florenz {
namespace {

ModelSize Size(int d, int enc, int dec, int heads, int ffn) {
  ModelSize s;
  s.name = "t";
  s.d_model = d;
  s.encoder_layers = enc;
  s.decoder_layers = dec;
  s.heads = heads;
  s.ffn = ffn;
  return s;
}

TEST(ModelCostTest, CountsEveryParameterOfTheXsPreset) {
  ModelSize xs;
  std::string error;
  ASSERT_TRUE(xs.ApplyPreset("xs", &error)) << error;
  ModelOptions model;  // vocab 512, tied
  const int64_t d = 32, f = 128, v = 512, features = 18;
  const int64_t norm = d + d;
  const int64_t linear_dd = d * d + d;
  const int64_t encoder_layer = norm + 3 * linear_dd + linear_dd + norm + (d * f + f) + (f * d + d);
  const int64_t decoder_layer = norm + 3 * linear_dd + linear_dd                // self-attention
                                + norm + linear_dd + 2 * linear_dd + linear_dd  // cross q, kv, out
                                + norm + (d * f + f) + (f * d + d);
  const int64_t expected_non_embedding = 2 * encoder_layer + 2 * decoder_layer + 2 * norm;
  const int64_t expected_embedding = v * d + (features * d + d);

  SequenceShape shape{2, features, 2, 24};
  const ModelCost cost = ComputeModelCost(xs, model, shape);
  EXPECT_EQ(cost.non_embedding_params, expected_non_embedding);
  EXPECT_EQ(cost.embedding_params, expected_embedding);
  EXPECT_EQ(cost.params, expected_non_embedding + expected_embedding);
  EXPECT_EQ(cost.non_embedding_params, 59520);

  model.tie_embeddings = false;
  EXPECT_EQ(ComputeModelCost(xs, model, shape).params, cost.params + v * d);
}

TEST(ModelCostTest, CountsTheMultiplyAccumulatesOfATinyModel) {
  // d 2, ffn 4, one layer each; 1 image token of 3 features, 2 prompt tokens, 2 targets.
  ModelOptions model;
  model.vocab_size = 5;
  const ModelCost cost = ComputeModelCost(Size(2, 1, 1, 1, 4), model, SequenceShape{1, 3, 2, 2});
  const double e = 3, t = 2, d = 2, f = 4, v = 5;
  const double image = 1 * 3 * d;
  const double encoder = e * 3 * d * d + e * d * d  // q, k, v and out projections
                         + e * e * d + e * e * d    // scores QK^T, mixing AV
                         + e * d * f + e * f * d;   // MLP
  const double decoder = t * 3 * d * d + t * d * d + t * t * d + t * t * d  // self-attention
                         + t * d * d + e * 2 * d * d + t * d * d            // cross q, kv, out
                         + t * e * d + t * e * d                            // cross scores, mix
                         + t * d * f + t * f * d;                           // MLP
  const double head = t * d * v;
  EXPECT_DOUBLE_EQ(cost.forward_macs, image + encoder + decoder + head);
  EXPECT_DOUBLE_EQ(cost.forward_flops, 2 * cost.forward_macs);
}

TEST(ModelCostTest, TrainingFlopsAreAboutSixNDForLargeModels) {
  // In an encoder-decoder each token passes through one stack only, so "6ND" counts encoder
  // parameters × encoder tokens plus decoder parameters × decoder tokens. Attention and the
  // LM head come on top, by a modest factor at these lengths.
  ModelSize big;
  std::string error;
  ASSERT_TRUE(big.ApplyPreset("gpu-1b", &error));
  ModelOptions model;
  const SequenceShape shape{64, 192, 2, 48};
  const ModelCost cost = ComputeModelCost(big, model, shape);
  const double d = big.d_model;
  const double encoder_params = big.encoder_layers * 12 * d * d;  // 4d² attention + 8d² MLP
  const double decoder_params = big.decoder_layers * 16 * d * d;  // + 4d² cross-attention
  const double six_nd = 6.0 * (encoder_params * (64 + 2) + decoder_params * 48) * 1000;
  const double ratio = TrainingFlops(cost, 1000) / six_nd;
  EXPECT_GT(ratio, 1.0);
  EXPECT_LT(ratio, 1.2);
}

TEST(ModelCostTest, CpuPresetsSpanMoreThanThirtyTimesInNonEmbeddingParameters) {
  ModelOptions model;
  ModelSize xs, l;
  std::string error;
  ASSERT_TRUE(xs.ApplyPreset("xs", &error));
  ASSERT_TRUE(l.ApplyPreset("l", &error));
  const SequenceShape shape{2, kSymbolicFeatures, 2, 24};
  EXPECT_GT(ComputeModelCost(l, model, shape).non_embedding_params,
            30 * ComputeModelCost(xs, model, shape).non_embedding_params);
}

TEST(ModelCostTest, EstimatesSequencesFromTheData) {
  DataOptions data;
  data.image = ImageMode::kRendered;
  data.image_size = 32;
  data.max_caption_tokens = 20;
  data.coverage[Task::kCaption]["en"] = PairRole::kTrain;
  data.coverage[Task::kTranslate]["de"] = PairRole::kTrain;
  data.coverage[Task::kCaption]["es"] = PairRole::kEval;
  ModelOptions model;
  model.patch_size = 8;
  const SequenceShape shape = EstimateSequenceShape(data, model);
  EXPECT_EQ(shape.image_tokens, 16);
  EXPECT_EQ(shape.image_features, 3 * 8 * 8);
  EXPECT_EQ(shape.prompt_tokens, 2 + 10);  // half of the trained pairs carry a source text
  EXPECT_EQ(shape.target_tokens, 20);

  data.image = ImageMode::kSymbolic;
  data.max_objects = 3;
  EXPECT_EQ(EstimateSequenceShape(data, model).image_tokens, 3);
  EXPECT_EQ(EstimateSequenceShape(data, model).image_features, kSymbolicFeatures);
}

}  // namespace
}  // namespace florenz
