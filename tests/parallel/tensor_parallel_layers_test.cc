// The tensor-parallel layers at tp = 1 equal their plain counterparts (linear, embedding,
// cross-entropy with ignore_index), weights are drawn in full and sharded, and tp > 1 without
// a communicator fails clearly (the multi-rank semantics: tensor_parallel_mpi_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "parallel/column_parallel_linear.h"
#include "parallel/row_parallel_linear.h"
#include "parallel/tensor_parallel.h"
#include "parallel/vocab_parallel_cross_entropy.h"
#include "parallel/vocab_parallel_embedding.h"

namespace florenz {
namespace {

namespace F = torch::nn::functional;

class TensorParallelLayersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(7);
  }
};

TEST_F(TensorParallelLayersTest, ColumnParallelLinearIsPlainLinear) {
  for (bool bias : {true, false}) {
    for (bool gather : {true, false}) {
      ColumnParallelLinearOptions options;
      options.bias = bias;
      options.gather_output = gather;
      options.seed = 3;
      ColumnParallelLinear layer(6, 4, options);
      if (bias) {
        torch::NoGradGuard no_grad;
        layer->bias.normal_();
      }
      torch::Tensor x = torch::randn({2, 3, 6});
      torch::Tensor expected = F::linear(x, layer->weight, bias ? layer->bias : torch::Tensor());
      EXPECT_TRUE(torch::allclose(layer(x), expected, 1e-6, 1e-6));
      EXPECT_EQ(layer->weight.sizes(), (std::vector<int64_t>{4, 6}));
    }
  }
}

TEST_F(TensorParallelLayersTest, RowParallelLinearIsPlainLinear) {
  for (bool input_is_parallel : {true, false}) {
    RowParallelLinearOptions options;
    options.input_is_parallel = input_is_parallel;
    options.seed = 4;
    RowParallelLinear layer(5, 3, options);
    {
      torch::NoGradGuard no_grad;
      layer->bias.normal_();
    }
    torch::Tensor x = torch::randn({4, 5}, torch::requires_grad());
    torch::Tensor y = layer(x);
    EXPECT_TRUE(torch::allclose(y, F::linear(x, layer->weight, layer->bias), 1e-6, 1e-6));
    y.sum().backward();
    EXPECT_TRUE(torch::allclose(layer->bias.grad(), torch::full({3}, 4.0f)));
  }
}

TEST_F(TensorParallelLayersTest, VocabParallelEmbeddingIsEmbeddingAndTiedHead) {
  VocabParallelEmbeddingOptions options;
  options.seed = 5;
  VocabParallelEmbedding embedding(10, 4, options);
  EXPECT_EQ(embedding->vocab_start(), 0);
  EXPECT_EQ(embedding->vocab_end(), 10);
  torch::Tensor ids = torch::tensor({{0, 3, 9}, {2, 2, 1}}, torch::kInt64);
  EXPECT_TRUE(torch::equal(embedding(ids), F::embedding(ids, embedding->weight)));
  torch::Tensor hidden = torch::randn({2, 3, 4});
  EXPECT_TRUE(torch::allclose(embedding->Logits(hidden),
                              torch::matmul(hidden, embedding->weight.t()), 1e-6, 1e-6));
}

TEST_F(TensorParallelLayersTest, VocabParallelCrossEntropyEqualsTorchWithIgnoreIndex) {
  torch::Tensor logits = (3 * torch::randn({3, 5, 7})).requires_grad_();
  torch::Tensor target = torch::randint(0, 7, {3, 5}, torch::kInt64);
  target[0][4] = 0;
  target[2][0] = 0;
  torch::Tensor loss = VocabParallelCrossEntropy(logits, target, TensorParallel{});
  torch::Tensor expected =
      F::cross_entropy(logits.view({-1, 7}), target.view({-1}),
                       F::CrossEntropyFuncOptions().ignore_index(0).reduction(torch::kNone))
          .view({3, 5});
  EXPECT_TRUE(torch::allclose(loss, expected, 1e-5, 1e-6));
  EXPECT_EQ(loss[0][4].item<float>(), 0.0f);

  torch::Tensor grad = torch::autograd::grad({loss.sum()}, {logits})[0];
  torch::Tensor expected_grad = torch::autograd::grad({expected.sum()}, {logits})[0];
  EXPECT_TRUE(torch::allclose(grad, expected_grad, 1e-5, 1e-6));
}

TEST_F(TensorParallelLayersTest, WeightsAreShardsOfTheFullDraw) {
  torch::Tensor full = NormalShard(8, 6, 0.02, 11, 0, TensorParallel{});
  for (int dim : {0, 1}) {
    torch::Tensor whole = NormalShard(8, 6, 0.02, 11, dim, TensorParallel{});
    torch::Tensor halves = torch::cat(
        {NormalShard(8, 6, 0.02, 11, dim, {0, 2}), NormalShard(8, 6, 0.02, 11, dim, {1, 2})}, dim);
    EXPECT_TRUE(torch::equal(whole, halves));
    EXPECT_TRUE(torch::equal(whole, full));
  }
  EXPECT_NEAR(full.std().item<double>(), 0.02, 0.008);
  EXPECT_FALSE(torch::equal(full, NormalShard(8, 6, 0.02, 12, 0, TensorParallel{})));
  EXPECT_NE(LayerSeed(1, "a.qkv"), LayerSeed(1, "a.out"));
  EXPECT_NE(LayerSeed(1, "a.qkv"), LayerSeed(2, "a.qkv"));
}

TEST_F(TensorParallelLayersTest, TensorParallelAboveOneWithoutCommunicatorFailsClearly) {
  const TensorParallel tp{0, 2};
  const auto not_built =
      ::testing::HasSubstr("needs the tensor-parallel group's communicator (ProcessGroups::tp)");
  ColumnParallelLinearOptions column;
  column.tp = tp;
  EXPECT_THAT([&] { ColumnParallelLinear(4, 4, column); },
              ::testing::ThrowsMessage<RunError>(not_built));
  RowParallelLinearOptions row;
  row.tp = tp;
  EXPECT_THAT([&] { RowParallelLinear(4, 4, row); }, ::testing::ThrowsMessage<RunError>(not_built));
  VocabParallelEmbeddingOptions embedding;
  embedding.tp = tp;
  EXPECT_THAT([&] { VocabParallelEmbedding(8, 4, embedding); },
              ::testing::ThrowsMessage<RunError>(not_built));
  EXPECT_THAT(
      [&] {
        VocabParallelCrossEntropy(torch::zeros({2, 4}), torch::zeros({2}, torch::kInt64), tp);
      },
      ::testing::ThrowsMessage<RunError>(not_built));
  EXPECT_THROW(ValidateTensorParallel({2, 2}), RunError);
  EXPECT_THROW(ShardSize(7, {0, 2}, "vocabulary"), RunError);
}

}  // namespace
}  // namespace florenz
