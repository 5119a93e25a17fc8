// The evaluator's cross-entropy excluding the decoder prefix, checked against the token
// log-probabilities of the model's full logits: the mean over the target tokens after the
// language's "the image shows" phrase, per sample, averaged over the pair's evaluation set.
#include "workers/train/evaluator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"
#include "workers/model/batch.h"

namespace florenz::train {
namespace {

constexpr const char* kGrid =
    "experiment: {name: tiny}\n"
    "data:\n"
    "  image: symbolic\n"
    "  max_caption_tokens: 24\n"
    "  languages: [en, de, es]\n"
    "  coverage:\n"
    "    caption: {en: train, es: eval}\n"
    "    translate: {de: train, es: train}\n"
    "model:\n"
    "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
    "training: {budgets: [640], batch_size: 8}\n"
    "evaluation: {samples_per_pair: 12}\n";

// Mean over samples of the mean over target tokens at positions >= first(sample).
double ReferenceCrossEntropy(model::EncoderDecoder& model, const ExperimentSpec& spec,
                             const std::vector<data::Example>& set, bool skip_prefix) {
  torch::NoGradGuard no_grad;
  const model::Batch batch =
      model::Collate(set, spec.data.image, spec.data.image_size, spec.model.patch_size);
  const torch::Tensor log_probs = torch::log_softmax(model->forward(batch), -1);  // [B, T, V]
  double total = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    double sum = 0;
    int tokens = 0;
    const int first = skip_prefix ? set[i].prefix_tokens : 0;
    for (size_t t = first; t < set[i].target.size(); ++t) {
      sum -= log_probs[static_cast<int64_t>(i)][static_cast<int64_t>(t)][set[i].target[t]]
                 .item<double>();
      ++tokens;
    }
    total += sum / tokens;
  }
  return total / static_cast<double>(set.size());
}

TEST(EvaluatorTest, CrossEntropyExcludingThePrefixSkipsTheLanguagesPhrase) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(kGrid, "tiny.yaml", data::CheckDataSpec);
  const ExperimentSpec& spec = grid.runs[0].spec();
  const data::DataGenerator data(spec);
  model::EncoderDecoder model(spec.model.sizes[0], spec.model,
                              model::ImageFeatures(spec.data.image, spec.model.patch_size), 7);
  model->eval();
  const Evaluator evaluator(spec, data);
  const EvalTable table = evaluator.CrossEntropy(model);

  for (size_t p = 0; p < data.pairs().size(); ++p) {
    const std::string& name = data.pairs()[p].name;
    std::vector<data::Example> set;
    for (int i = 0; i < spec.evaluation.samples_per_pair; ++i) {
      set.push_back(data.EvalExample(static_cast<int>(p), i));
    }
    ASSERT_GT(set[0].prefix_tokens, 0) << name;
    const double all = table.at(name).at("cross_entropy");
    const double excl = table.at(name).at("cross_entropy_excl_prefix");
    EXPECT_NEAR(all, ReferenceCrossEntropy(model, spec, set, false), 1e-4 * all) << name;
    EXPECT_NEAR(excl, ReferenceCrossEntropy(model, spec, set, true), 1e-4 * excl) << name;
    EXPECT_NE(all, excl) << name;
  }

  EvalTable final_table = table;
  const auto final_metrics = evaluator.FinalMetrics(final_table);
  EXPECT_DOUBLE_EQ(final_metrics.at("cross_entropy_excl_prefix_caption_es"),
                   table.at("caption_es").at("cross_entropy_excl_prefix"));
  EXPECT_DOUBLE_EQ(final_metrics.at("unseen_caption_excl_prefix"),
                   table.at("caption_es").at("cross_entropy_excl_prefix"));
  EXPECT_DOUBLE_EQ(final_metrics.at("seen_translate_excl_prefix"),
                   (table.at("translate_de").at("cross_entropy_excl_prefix") +
                    table.at("translate_es").at("cross_entropy_excl_prefix")) /
                       2);
}

}  // namespace
}  // namespace florenz::train
