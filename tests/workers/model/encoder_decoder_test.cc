// The encoder-decoder: its parameter count equals experiments/model_cost.h exactly and its
// counted matrix-product MACs the analytic forward FLOPs; the loss, the causal mask and
// padding invariance; a collated batch's host-side facts (target rows, the encoder's position
// bound) give the same bits as reading them back, without the reads; a tiny model overfits one
// batch.
#include "workers/model/encoder_decoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "experiments/model_cost.h"
#include "parallel/device_reads.h"
#include "parallel/mac_counter.h"
#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"

namespace florenz::model {
namespace {

ModelSize Preset(const std::string& name) {
  ModelSize size;
  std::string error;
  EXPECT_TRUE(size.ApplyPreset(name, &error)) << error;
  size.Resolve();
  return size;
}

ModelSize Tiny() {
  ModelSize size;
  size.name = "tiny";
  size.d_model = 16;
  size.encoder_layers = 1;
  size.decoder_layers = 2;
  size.heads = 2;
  size.ffn = 32;
  return size;
}

ModelOptions Options(int vocab, bool tie) {
  ModelOptions options;
  options.vocab_size = vocab;
  options.tie_embeddings = tie;
  return options;
}

// A batch of `b` samples of exactly the given shape (no padding), random contents.
Batch RandomBatch(int64_t b, const SequenceShape& shape, int64_t vocab) {
  Batch batch;
  batch.image = torch::rand({b, shape.image_tokens, shape.image_features});
  batch.image_mask = torch::ones({b, shape.image_tokens}, torch::kBool);
  batch.prompt = torch::randint(3, vocab, {b, shape.prompt_tokens}, torch::kInt64);
  batch.target = torch::randint(3, vocab, {b, shape.target_tokens}, torch::kInt64);
  batch.decoder_input = torch::cat(
      {torch::ones({b, 1}, torch::kInt64), batch.target.narrow(1, 0, shape.target_tokens - 1)}, 1);
  return batch;
}

class EncoderDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(3);
  }
};

TEST_F(EncoderDecoderTest, ParameterCountEqualsModelCostExactly) {
  for (const std::string preset : {"xs", "s", "m", "l", "xl"}) {
    for (bool tie : {true, false}) {
      for (int64_t features : {int64_t{3 * 8 * 8}, int64_t{22}}) {
        const ModelSize size = Preset(preset);
        const ModelOptions options = Options(512, tie);
        EncoderDecoder model(size, options, features, 1);
        int64_t total = 0, embedding = 0;
        for (const auto& item : model->named_parameters()) {
          total += item.value().numel();
          const std::string& name = item.key();
          if (name == "embedding.weight" || name == "lm_head.weight" ||
              name.rfind("image_projection.", 0) == 0) {
            embedding += item.value().numel();
          }
        }
        SequenceShape shape;
        shape.image_features = features;
        const ModelCost cost = ComputeModelCost(size, options, shape);
        EXPECT_EQ(total, cost.params) << preset << " tie=" << tie << " F=" << features;
        EXPECT_EQ(total - embedding, cost.non_embedding_params) << preset << " tie=" << tie;
      }
    }
  }
}

TEST_F(EncoderDecoderTest, CountedMacsMatchModelCostWithinFivePercent) {
  const std::vector<SequenceShape> shapes{{16, 192, 2, 30}, {2, 22, 26, 30}};
  for (const std::string preset : {"xs", "m", "xl"}) {
    for (const SequenceShape& shape : shapes) {
      for (bool tie : {true, false}) {
        const ModelSize size = Preset(preset);
        const ModelOptions options = Options(512, tie);
        EncoderDecoder model(size, options, shape.image_features, 1);
        const Batch batch = RandomBatch(2, shape, 512);
        torch::NoGradGuard no_grad;
        MacCounter counter;
        model->forward(batch);
        const double per_sample = counter.macs() / 2;
        const double analytic = ComputeModelCost(size, options, shape).forward_macs;
        RecordProperty(preset + "_" + std::to_string(shape.image_tokens) + (tie ? "_tied" : ""),
                       std::to_string(per_sample / analytic));
        EXPECT_NEAR(per_sample / analytic, 1.0, 0.05) << preset << " I=" << shape.image_tokens;
      }
    }
  }
}

TEST_F(EncoderDecoderTest, SampleLossIsTheTokenMeanOfEachSample) {
  EncoderDecoder model(Tiny(), Options(24, true), 22, 5);
  Batch batch = RandomBatch(3, {2, 22, 4, 5}, 24);
  batch.target[0][3] = 0;  // padding at the end of samples 0 and 2
  batch.target[0][4] = 0;
  batch.target[2][4] = 0;
  batch.image_mask[1][1] = false;
  const torch::Tensor loss = model->SampleLoss(batch);
  const torch::Tensor log_probs = torch::log_softmax(model->forward(batch), -1);
  ASSERT_EQ(loss.sizes(), (std::vector<int64_t>{3}));
  for (int64_t b = 0; b < 3; ++b) {
    double sum = 0;
    int tokens = 0;
    for (int64_t t = 0; t < 5; ++t) {
      const int64_t id = batch.target[b][t].item<int64_t>();
      if (id == 0) continue;
      sum -= log_probs[b][t][id].item<double>();
      ++tokens;
    }
    EXPECT_NEAR(loss[b].item<double>(), sum / tokens, 1e-5) << "sample " << b;
  }
}

TEST_F(EncoderDecoderTest, DecoderIsCausal) {
  EncoderDecoder model(Tiny(), Options(24, false), 22, 5);
  torch::NoGradGuard no_grad;
  Batch batch = RandomBatch(2, {2, 22, 4, 6}, 24);
  const torch::Tensor before = model->forward(batch);
  batch.decoder_input[0][4] = (batch.decoder_input[0][4] + 1) % 24;
  const torch::Tensor after = model->forward(batch);
  EXPECT_TRUE(torch::allclose(before.narrow(1, 0, 4), after.narrow(1, 0, 4), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(before[0][4], after[0][4], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(before[1], after[1], 1e-5, 1e-6));
}

TEST_F(EncoderDecoderTest, PaddingDoesNotChangeTheLogits) {
  EncoderDecoder model(Tiny(), Options(24, true), 22, 5);
  torch::NoGradGuard no_grad;
  Batch batch = RandomBatch(2, {2, 22, 3, 5}, 24);
  batch.image_mask[0][1] = false;  // sample 0 has one object: its second token is padding
  batch.image[0][1].zero_();
  const torch::Tensor logits = model->forward(batch);

  Batch padded = batch;
  padded.prompt = torch::cat({batch.prompt, torch::zeros({2, 3}, torch::kInt64)}, 1);
  padded.image = torch::cat({batch.image, torch::zeros({2, 1, 22})}, 1);
  padded.image_mask = torch::cat({batch.image_mask, torch::zeros({2, 1}, torch::kBool)}, 1);
  EXPECT_TRUE(torch::allclose(model->forward(padded), logits, 1e-5, 1e-6));

  // A fully masked image (text-only translation) stays finite.
  Batch text_only = batch;
  text_only.image_mask.fill_(false);
  EXPECT_TRUE(torch::isfinite(model->forward(text_only)).all().item<bool>());
  Batch no_image = batch;
  no_image.image = torch::zeros({2, 0, 22});
  no_image.image_mask = torch::zeros({2, 0}, torch::kBool);
  EXPECT_TRUE(torch::allclose(model->forward(no_image), model->forward(text_only), 1e-5, 1e-6));
}

// Symbolic examples of different lengths: objects (22 floats each), prompt, target.
data::Example Symbolic(int objects, std::vector<int32_t> prompt, std::vector<int32_t> target) {
  data::Example e;
  const torch::Tensor image = torch::rand({objects * 22});
  e.image.assign(image.data_ptr<float>(), image.data_ptr<float>() + image.numel());
  e.prompt = std::move(prompt);
  e.target = std::move(target);
  return e;
}

TEST_F(EncoderDecoderTest, CollatedBatchGivesTheSameBitsWithoutDeviceReads) {
  EncoderDecoder model(Tiny(), Options(24, false), 22, 5);
  const std::vector<data::Example> examples{Symbolic(2, {5, 6, 7}, {9, 10, 11, 2}),
                                            Symbolic(1, {5}, {12, 2}),
                                            Symbolic(0, {8, 9, 10, 11}, {13, 14, 15, 16, 17, 2})};
  const Batch collated = Collate(examples, ImageMode::kSymbolic, 32, 8);
  EXPECT_EQ(collated.max_encoder_tokens, 5);  // 2 objects + 3 prompt tokens
  EXPECT_TRUE(
      torch::equal(collated.target_rows, (collated.target.view(-1) != 0).nonzero().squeeze(1)));
  Batch hand_built = collated;  // what a caller that does not know the facts passes
  hand_built.target_rows = torch::Tensor();
  hand_built.max_encoder_tokens = -1;

  const int64_t before = DeviceReads();
  const torch::Tensor loss = model->SampleLoss(collated);
  loss.sum().backward();
  const torch::Tensor logits = model->forward(collated);
  EXPECT_EQ(DeviceReads(), before) << "the forward and backward of a collated batch read nothing";
  std::vector<torch::Tensor> grads;
  for (const auto& p : model->parameters()) {
    grads.push_back(p.grad().clone());
    p.mutable_grad() = torch::Tensor();
  }

  const torch::Tensor loss_read = model->SampleLoss(hand_built);
  EXPECT_GT(DeviceReads(), before);
  loss_read.sum().backward();
  EXPECT_TRUE(torch::equal(loss, loss_read));
  EXPECT_TRUE(torch::equal(logits, model->forward(hand_built)));
  const auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::equal(grads[i], params[i].grad())) << i;
  }
}

TEST_F(EncoderDecoderTest, InitialisationDependsOnTheSeedOnly) {
  EncoderDecoder a(Tiny(), Options(24, true), 22, 9), b(Tiny(), Options(24, true), 22, 9),
      c(Tiny(), Options(24, true), 22, 10);
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  EXPECT_TRUE(torch::equal(pa["decoder.1.mlp.down.weight"], pb["decoder.1.mlp.down.weight"]));
  EXPECT_FALSE(torch::equal(pa["decoder.1.mlp.down.weight"], pc["decoder.1.mlp.down.weight"]));
  EXPECT_FALSE(torch::equal(pa["decoder.0.mlp.down.weight"], pa["decoder.1.mlp.down.weight"]));
  EXPECT_NEAR(pa["embedding.weight"].std().item<double>(), 0.02, 0.003);
  EXPECT_THROW(EncoderDecoder(Tiny(), Options(24, true), 22, 9, TensorParallel{0, 2}), RunError);
}

TEST_F(EncoderDecoderTest, TinyModelOverfitsOneBatch) {
  const LoadedGrid grid = data::testing::LoadDataGrid(data::testing::PaperDataGrid("symbolic"));
  data::DataGenerator generator(grid.spec);
  std::vector<data::Example> examples;
  for (int i = 0; i < 8; ++i) examples.push_back(generator.TrainExample(1, i));
  const Batch batch = Collate(examples, ImageMode::kSymbolic, 32, 8);
  EncoderDecoder model(Preset("xs"), Options(generator.vocabulary().size(), true),
                       ImageFeatures(ImageMode::kSymbolic, 8), 1);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    optimizer.zero_grad();
    torch::Tensor loss = model->SampleLoss(batch).mean();
    loss.backward();
    optimizer.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  RecordProperty("first_loss", std::to_string(first));
  RecordProperty("last_loss", std::to_string(last));
  EXPECT_LT(last, 0.2 * first) << "first " << first << ", last " << last;
}

}  // namespace
}  // namespace florenz::model
