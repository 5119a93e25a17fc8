// Collate: shapes, patches, masks and decoder inputs for rendered, symbolic and image-less
// examples.
#include "workers/model/batch.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"
#include "workers/data/image.h"

namespace florenz::model {
namespace {

data::Example Text(std::vector<int32_t> prompt, std::vector<int32_t> target) {
  data::Example e;
  e.prompt = std::move(prompt);
  e.target = std::move(target);
  return e;
}

TEST(CollateTest, RenderedImagesBecomeChannelMajorPatches) {
  torch::set_num_threads(1);
  const int size = 16, p = 8;
  data::Example a = Text({6, 4}, {20, 21, 2});
  a.image.resize(3 * size * size);
  for (size_t i = 0; i < a.image.size(); ++i) a.image[i] = static_cast<float>(i);
  data::Example b = Text({7, 5, 30, 31}, {22, 2});  // image-less translation
  Batch batch = Collate({a, b}, ImageMode::kRendered, size, p);

  EXPECT_EQ(ImageFeatures(ImageMode::kRendered, p), 192);
  EXPECT_EQ(batch.size(), 2);
  EXPECT_EQ(batch.image.sizes(), (std::vector<int64_t>{2, 4, 192}));
  EXPECT_TRUE(batch.image_mask[0].all().item<bool>());
  EXPECT_FALSE(batch.image_mask[1].any().item<bool>());
  EXPECT_EQ(batch.image[1].abs().sum().item<float>(), 0.0f);
  // Patch 1 = (row 0, col 1); feature (c, i, j) = pixel (c, i, 8 + j).
  torch::Tensor image = torch::tensor(a.image).view({3, size, size});
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < p; ++i) {
      for (int j = 0; j < p; ++j) {
        ASSERT_EQ(batch.image[0][1][(c * p + i) * p + j].item<float>(),
                  image[c][i][8 + j].item<float>());
        ASSERT_EQ(batch.image[0][2][(c * p + i) * p + j].item<float>(),
                  image[c][8 + i][j].item<float>());
      }
    }
  }
  EXPECT_TRUE(torch::equal(batch.prompt, torch::tensor({{6, 4, 0, 0}, {7, 5, 30, 31}})));
  EXPECT_TRUE(torch::equal(batch.target, torch::tensor({{20, 21, 2}, {22, 2, 0}})));
  EXPECT_TRUE(torch::equal(batch.decoder_input, torch::tensor({{1, 20, 21}, {1, 22, 0}})));
}

TEST(CollateTest, SymbolicObjectsArePaddedToTheMostObjects) {
  const int f = data::SymbolicFeatureSize();
  EXPECT_EQ(ImageFeatures(ImageMode::kSymbolic, 8), f);
  data::Example one = Text({6, 4}, {20, 2});
  one.image.assign(f, 0.5f);
  one.image_tokens = 1;
  data::Example two = Text({6, 4}, {20, 21, 2});
  two.image.assign(2 * f, 1.5f);
  two.image_tokens = 2;
  data::Example none = Text({6, 5, 40}, {2});
  Batch batch = Collate({one, two, none}, ImageMode::kSymbolic, 32, 8);
  EXPECT_EQ(batch.image.sizes(), (std::vector<int64_t>{3, 2, f}));
  EXPECT_TRUE(
      torch::equal(batch.image_mask, torch::tensor({{true, false}, {true, true}, {false, false}})));
  EXPECT_EQ(batch.image[0][0][0].item<float>(), 0.5f);
  EXPECT_EQ(batch.image[0][1].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(batch.image[1][1][f - 1].item<float>(), 1.5f);
  EXPECT_EQ(batch.prompt.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(batch.target.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_TRUE(torch::equal(batch.decoder_input[2], torch::tensor({1, 0, 0})));

  Batch text_only = Collate({none}, ImageMode::kSymbolic, 32, 8);
  EXPECT_EQ(text_only.image.sizes(), (std::vector<int64_t>{1, 0, f}));

  // What the forward needs of the padding, known on the host: the real targets' rows of
  // target.view(-1), and the most real encoder tokens of a sample (two objects + two words).
  EXPECT_TRUE(torch::equal(batch.target_rows, torch::tensor({0, 1, 3, 4, 5, 6}, torch::kInt64)));
  EXPECT_EQ(batch.max_encoder_tokens, 4);
  const Batch moved = ToDevice(batch, torch::kCPU);
  EXPECT_TRUE(torch::equal(moved.target_rows, batch.target_rows));
  EXPECT_EQ(moved.max_encoder_tokens, 4);
  EXPECT_EQ(text_only.max_encoder_tokens, 3);
}

TEST(CollateTest, GeneratedExamplesCollate) {
  for (const std::string image : {"symbolic", "rendered"}) {
    const LoadedGrid grid = data::testing::LoadDataGrid(data::testing::PaperDataGrid(image));
    data::DataGenerator generator(grid.spec);
    std::vector<data::Example> examples;
    for (int i = 0; i < 16; ++i) examples.push_back(generator.TrainExample(1, i));
    const ImageMode mode = grid.spec.data.image;
    Batch batch = Collate(examples, mode, grid.spec.data.image_size, 8);
    EXPECT_EQ(batch.size(), 16);
    EXPECT_EQ(batch.image.size(2), ImageFeatures(mode, 8));
    for (int i = 0; i < 16; ++i) {
      const int64_t tokens = batch.image_mask[i].sum().item<int64_t>();
      EXPECT_EQ(tokens, examples[i].image.empty()
                            ? 0
                            : (mode == ImageMode::kRendered ? 16 : examples[i].image_tokens));
      EXPECT_EQ((batch.target[i] != 0).sum().item<int64_t>(),
                static_cast<int64_t>(examples[i].target.size()));
    }
  }
}

}  // namespace
}  // namespace florenz::model
