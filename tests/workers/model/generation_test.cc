// Decoding (workers/model/generation.h): the KV-cached step equals the full decoder, cached
// greedy decoding equals argmax over the recomputed prefix, beam search finds sequences at
// least as likely as greedy's, forced prefixes, max_length and <eos>, and a tiny overfit
// model reproduces its training targets.
#include "workers/model/generation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"
#include "workers/data/vocabulary.h"

namespace florenz::model {
namespace {

using data::Vocabulary;
using Sequences = std::vector<std::vector<int32_t>>;

constexpr int64_t kVocab = 24;

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

// A random tiny model whose next-token distributions are far from uniform and depend on the
// image and prompt: the embedding, the head and the cross-attention output scaled up, so
// argmax and beam choices are not decided by rounding. A random model almost never says
// <eos>; here the head's <eos> row lies along the final norm's bias u and every other row is
// orthogonal to u, so <eos> has a logit of about eos_logit · (1 + h·u/|u|²) and the others
// N(0, ~3²). (Tied random models mostly repeat one token: their input and output rows agree.)
EncoderDecoder RandomModel(uint64_t seed, bool tie = false, double eos_logit = 4) {
  ModelOptions options;
  options.vocab_size = kVocab;
  options.tie_embeddings = tie;
  EncoderDecoder model(Tiny(), options, 22, seed);
  torch::NoGradGuard no_grad;
  auto parameters = model->named_parameters();
  for (auto& item : parameters) {
    const std::string& name = item.key();
    if (name.find("cross_attention.kv.weight") != std::string::npos) item.value().mul_(20);
    if (name.find("cross_attention.out.weight") != std::string::npos) item.value().mul_(100);
    if (name == "image_projection.weight") item.value().mul_(40);
  }
  torch::Tensor head = parameters[tie ? "embedding.weight" : "lm_head.weight"];
  parameters["embedding.weight"].mul_(40);
  if (!tie) head.mul_(40);
  torch::Tensor u = parameters["decoder_norm.bias"];
  u.normal_();
  head -= torch::outer(head.matmul(u), u) / u.pow(2).sum();
  head[Vocabulary::kEos] = u * (eos_logit / u.pow(2).sum());
  return model;
}

// `b` samples with ragged images and prompts (padding in both).
Batch RaggedBatch(int64_t b) {
  Batch batch;
  batch.image = torch::rand({b, 3, 22});
  batch.image_mask = torch::ones({b, 3}, torch::kBool);
  batch.prompt = torch::randint(3, kVocab, {b, 5}, torch::kInt64);
  for (int64_t s = 0; s < b; ++s) {
    const int64_t objects = 1 + s % 3, prompt = 2 + s % 4;
    batch.image_mask[s].narrow(0, objects, 3 - objects).fill_(false);
    batch.image[s].narrow(0, objects, 3 - objects).zero_();
    batch.prompt[s].narrow(0, prompt, 5 - prompt).fill_(Vocabulary::kPad);
  }
  batch.decoder_input = torch::ones({b, 1}, torch::kInt64);
  batch.target = torch::full({b, 1}, int64_t{Vocabulary::kEos}, torch::kInt64);
  return batch;
}

// Log-probabilities [T, V] of the full (uncached) decoder for sample s after <bos> + tokens.
torch::Tensor FullLogProbs(EncoderDecoder& model, const Batch& batch, int64_t s,
                           const std::vector<int32_t>& tokens) {
  torch::NoGradGuard no_grad;
  auto [memory, mask] = model->Encode(batch);
  std::vector<int64_t> input{Vocabulary::kBos};
  input.insert(input.end(), tokens.begin(), tokens.end());
  const torch::Tensor ids = torch::tensor(input, torch::kInt64).unsqueeze(0);  // [1, T]
  return torch::log_softmax(model->Decode(ids, memory.narrow(0, s, 1), mask.narrow(0, s, 1))[0],
                            -1);
}

// Greedy decoding without a cache: argmax of Decode over the whole prefix, recomputed each
// step, one sample at a time.
Sequences UncachedGreedy(EncoderDecoder& model, const Batch& batch, int max_length,
                         const Sequences& forced = {}) {
  Sequences out(batch.size());
  for (int64_t s = 0; s < batch.size(); ++s) {
    for (int step = 0; step < max_length; ++step) {
      torch::Tensor log_probs = FullLogProbs(model, batch, s, out[s])[step];  // [V]
      log_probs[Vocabulary::kPad] = -std::numeric_limits<float>::infinity();
      log_probs[Vocabulary::kBos] = -std::numeric_limits<float>::infinity();
      int32_t token = static_cast<int32_t>(log_probs.argmax().item<int64_t>());
      if (!forced.empty() && step < static_cast<int>(forced[s].size())) token = forced[s][step];
      if (token == Vocabulary::kEos) break;
      out[s].push_back(token);
    }
  }
  return out;
}

// log P(tokens, then <eos> unless cut off at max_length) under the full model.
double SequenceLogProb(EncoderDecoder& model, const Batch& batch, int64_t s,
                       const std::vector<int32_t>& tokens, int max_length) {
  const torch::Tensor log_probs = FullLogProbs(model, batch, s, tokens);
  double sum = 0;
  for (size_t t = 0; t < tokens.size(); ++t) sum += log_probs[t][tokens[t]].item<double>();
  if (static_cast<int>(tokens.size()) < max_length) {
    sum += log_probs[tokens.size()][Vocabulary::kEos].item<double>();
  }
  return sum;
}

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(11);
  }
};

TEST_F(GenerationTest, DecodeStepEqualsTheFullDecoder) {
  for (bool tie : {true, false}) {
    EncoderDecoder model = RandomModel(3, tie);
    torch::NoGradGuard no_grad;
    const Batch batch = RaggedBatch(4);
    const torch::Tensor input = torch::cat(
        {torch::ones({4, 1}, torch::kInt64), torch::randint(3, kVocab, {4, 6}, torch::kInt64)},
        1);  // [B, 7]
    auto [memory, mask] = model->Encode(batch);
    const torch::Tensor full = model->Decode(input, memory, mask);  // [B, 7, V]
    DecoderCache cache = model->StartDecoding(memory, mask);
    for (int64_t t = 0; t < 7; ++t) {
      const torch::Tensor step = model->DecodeStep(input.select(1, t), &cache);  // [B, V]
      EXPECT_TRUE(torch::allclose(step, full.select(1, t), 1e-4, 1e-4)) << "t " << t;
      EXPECT_EQ(cache.length, t + 1);
      EXPECT_EQ(cache.self[1].k.size(2), t + 1);
    }
  }
}

TEST_F(GenerationTest, CachedGreedyEqualsUncachedGreedy) {
  for (bool tie : {true, false}) {
    EncoderDecoder model = RandomModel(5, tie);
    const Batch batch = RaggedBatch(6);
    const Sequences cached = GreedySearch(model, batch, 12);
    EXPECT_EQ(cached, UncachedGreedy(model, batch, 12)) << "tie " << tie;
    if (!tie) {  // the untied model exercises per-sample choices and <eos>
      EXPECT_GT(std::set<std::vector<int32_t>>(cached.begin(), cached.end()).size(), 2u);
      EXPECT_TRUE(std::any_of(cached.begin(), cached.end(),
                              [](const std::vector<int32_t>& s) { return s.size() < 12; }));
    }
    const Sequences forced{{7, 8}, {}, {9}, {10, 11, 12}, {}, {4}};
    EXPECT_EQ(GreedySearch(model, batch, 12, forced), UncachedGreedy(model, batch, 12, forced));
  }
}

TEST_F(GenerationTest, BeamOfOneIsGreedy) {
  EncoderDecoder model = RandomModel(7);
  const Batch batch = RaggedBatch(6);
  const Sequences greedy = GreedySearch(model, batch, 12);
  EXPECT_EQ(BeamSearch(model, batch, 1, 12), greedy);
  GenerationOptions options;
  options.beam_size = 1;
  options.max_length = 12;
  EXPECT_EQ(Generate(model, batch, options), greedy);
  const Sequences forced{{7, 8}, {}, {9}, {10, 11, 12}, {}, {4}};
  EXPECT_EQ(BeamSearch(model, batch, 1, 12, forced), GreedySearch(model, batch, 12, forced));
}

TEST_F(GenerationTest, BeamSearchIsAtLeastAsLikelyAsGreedy) {
  constexpr int kMax = 10;
  int better = 0;
  for (uint64_t seed : {1, 2, 3, 4}) {
    EncoderDecoder model = RandomModel(seed);
    const Batch batch = RaggedBatch(6);
    const Sequences greedy = GreedySearch(model, batch, kMax);
    const Sequences beam = Generate(model, batch, GenerationOptions{4, kMax});
    for (int64_t s = 0; s < batch.size(); ++s) {
      const double g = SequenceLogProb(model, batch, s, greedy[s], kMax);
      const double b = SequenceLogProb(model, batch, s, beam[s], kMax);
      EXPECT_GE(b, g - 1e-4) << "seed " << seed << " sample " << s;
      if (b > g + 1e-4) ++better;
    }
  }
  RecordProperty("beam_better_than_greedy", better);
  EXPECT_GT(better, 0) << "beam search never beat greedy: the test is not exercising it";
}

TEST_F(GenerationTest, ForcedPrefixComesFirst) {
  EncoderDecoder model = RandomModel(9);
  const Batch batch = RaggedBatch(4);
  const Sequences forced{{7, 8, 9}, {}, {13}, {20, 21, 22, 23, 5, 6}};
  for (int beam : {1, 3}) {
    const Sequences out = Generate(model, batch, GenerationOptions{beam, 5}, forced);
    for (int64_t s = 0; s < 3; ++s) {
      ASSERT_GE(out[s].size(), forced[s].size()) << "beam " << beam << " sample " << s;
      EXPECT_TRUE(std::equal(forced[s].begin(), forced[s].end(), out[s].begin()));
    }
    // Longer than max_length: cut to it.
    EXPECT_EQ(out[3], (std::vector<int32_t>{20, 21, 22, 23, 5})) << "beam " << beam;
  }
  const Sequences too_few{{7}}, with_eos{{7}, {Vocabulary::kEos}, {}, {}};
  const GenerationOptions no_length{4, 0};
  EXPECT_THROW(Generate(model, batch, GenerationOptions{}, too_few), RunError);
  EXPECT_THROW(Generate(model, batch, GenerationOptions{}, with_eos), RunError);
  EXPECT_THROW(Generate(model, batch, no_length), RunError);
}

TEST_F(GenerationTest, MaxLengthAndEosAreRespected) {
  EncoderDecoder model = RandomModel(13);
  const Batch batch = RaggedBatch(8);
  for (int beam : {1, 4}) {
    for (int max_length : {1, 2, 30}) {
      const Sequences out = Generate(model, batch, GenerationOptions{beam, max_length});
      ASSERT_EQ(out.size(), 8u);
      int ended = 0;
      for (int64_t s = 0; s < 8; ++s) {
        EXPECT_LE(static_cast<int>(out[s].size()), max_length);
        for (int32_t id : out[s]) {
          EXPECT_GT(id, Vocabulary::kEos) << "a special token was emitted";
          EXPECT_LT(id, kVocab);
        }
        if (static_cast<int>(out[s].size()) == max_length) continue;
        ++ended;
        if (beam == 1) {  // greedy stopped because <eos> was the argmax
          torch::Tensor next = FullLogProbs(model, batch, s, out[s])[out[s].size()];
          next[Vocabulary::kPad] = -std::numeric_limits<float>::infinity();
          next[Vocabulary::kBos] = -std::numeric_limits<float>::infinity();
          EXPECT_EQ(next.argmax().item<int64_t>(), Vocabulary::kEos);
        }
      }
      if (max_length == 30) EXPECT_GT(ended, 0) << "beam " << beam << ": nothing hit <eos>";
    }
  }
}

TEST_F(GenerationTest, OverfitModelGeneratesItsTargets) {
  const LoadedGrid grid = data::testing::LoadDataGrid(data::testing::PaperDataGrid("symbolic"));
  data::DataGenerator generator(grid.spec);
  std::vector<data::Example> examples;
  for (int i = 0; i < 6; ++i) examples.push_back(generator.TrainExample(1, i));
  const Batch batch = Collate(examples, ImageMode::kSymbolic, 32, 8);
  ModelSize size;
  std::string error;
  ASSERT_TRUE(size.ApplyPreset("xs", &error)) << error;
  size.Resolve();
  ModelOptions options;
  options.vocab_size = generator.vocabulary().size();
  EncoderDecoder model(size, options, ImageFeatures(ImageMode::kSymbolic, 8), 1);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
  double loss = 0;
  for (int step = 0; step < 400 && (step == 0 || loss > 0.01); ++step) {
    optimizer.zero_grad();
    torch::Tensor mean = model->SampleLoss(batch).mean();
    mean.backward();
    optimizer.step();
    loss = mean.item<double>();
  }
  RecordProperty("final_loss", std::to_string(loss));
  Sequences targets, prefixes;
  for (const data::Example& e : examples) {
    targets.emplace_back(e.target.begin(), e.target.end() - 1);  // without <eos>
    prefixes.emplace_back(e.target.begin(), e.target.begin() + e.prefix_tokens);
  }
  EXPECT_EQ(Generate(model, batch, GenerationOptions{1, 48}), targets) << "loss " << loss;
  EXPECT_EQ(Generate(model, batch, GenerationOptions{4, 48}), targets) << "loss " << loss;
  EXPECT_EQ(Generate(model, batch, GenerationOptions{4, 48}, prefixes), targets);
}

}  // namespace
}  // namespace florenz::model
