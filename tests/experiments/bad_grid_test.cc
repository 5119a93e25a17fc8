// Every kind of bad grid gets a clear "FILE:LINE:COLUMN: message" (the CLI exits 2 on it).
// One test per case of the grid-spec issue, each pinned to the exact position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiments/grid_loader.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;
using testing::kSmallGrid;
using testing::LoadError;
using testing::SmallGridWith;

TEST(BadGridTest, TheSmallGridIsValid) { EXPECT_EQ(LoadError(kSmallGrid), ""); }

TEST(BadGridTest, MalformedYaml) {
  const std::string error = LoadError(SmallGridWith("es: eval}", "es: eval"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:9:"));
  EXPECT_THAT(error, HasSubstr("malformed YAML"));
}

TEST(BadGridTest, UnknownKeyWithSuggestion) {
  const std::string error = LoadError(SmallGridWith("learning_rate", "learning_rat"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:15: unknown key 'learning_rat' in "
                               "'training.optimizer' (did you mean 'learning_rate'?)"));
}

TEST(BadGridTest, UnknownTopLevelSection) {
  const std::string error = LoadError(std::string(kSmallGrid) + "evaluaton: {interval: 0}\n");
  EXPECT_THAT(error, HasSubstr("bad.yaml:17:1: unknown key 'evaluaton' at the top level "
                               "(did you mean 'evaluation'?)"));
}

TEST(BadGridTest, WrongType) {
  const std::string error = LoadError(SmallGridWith("batch_size: 64", "batch_size: sixty"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:15:15: training.batch_size: expected an integer"));
  EXPECT_THAT(error, HasSubstr("'sixty'"));
}

TEST(BadGridTest, ADecayShapeNeedsWsdAndAKnownName) {
  EXPECT_THAT(LoadError(SmallGridWith("batch_size: 64",
                                      "batch_size: 64\n  schedule: {decay_shape: 1-sqrt}")),
              HasSubstr("bad.yaml:16:27: training.schedule.decay_shape: only wsd has a decay "
                        "phase (kind is cosine)"));
  EXPECT_THAT(
      LoadError(SmallGridWith("batch_size: 64",
                              "batch_size: 64\n  schedule: {kind: wsd, decay_shape: sqrt}")),
      HasSubstr("bad.yaml:16:38: training.schedule.decay_shape: unknown decay shape 'sqrt'"));
}

TEST(BadGridTest, CorpusLimitsOnSyntheticData) {
  EXPECT_THAT(LoadError(SmallGridWith("  image: symbolic\n",
                                      "  image: symbolic\n  max_text_bytes: 1000\n")),
              HasSubstr("bad.yaml:6:19: data.max_text_bytes: limits a corpus's texts; needs "
                        "data.source shards"));
  EXPECT_THAT(LoadError(SmallGridWith("  image: symbolic\n",
                                      "  image: symbolic\n  max_image_pixels: 1000000\n")),
              HasSubstr("bad.yaml:6:21: data.max_image_pixels: limits a corpus's images"));
}

// The global batch = micro batch × accumulation steps × data_parallel.
TEST(BadGridTest, MicroBatchThatDoesNotDivideARanksShare) {
  std::string error =
      LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  micro_batch_size: 24"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:21: training.micro_batch_size: 24 does not divide "
                               "the 64 samples per rank of size 'xs' (training.batch_size 64 / "
                               "data_parallel 1)"));
  error = LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  micro_batch_size: 16") +
                    "parallel: {data_parallel: 8}\n");
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:21: training.micro_batch_size: 16 does not divide "
                               "the 8 samples per rank"));
  error = LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  micro_batch_size: 128"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:21: training.micro_batch_size: must be 0"));
  EXPECT_EQ(LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  micro_batch_size: 16") +
                      "parallel: {data_parallel: 2}\n"),
            "");
}

// A batch no machine can hold is refused at validation, not met as std::bad_alloc at run time.
TEST(BadGridTest, ABatchTooLargeForAnyMachine) {
  const std::string error = LoadError(SmallGridWith("batch_size: 64", "batch_size: 2000000000"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:15:15: model.sizes.xs: 2000000000 samples per "
                               "forward/backward on one rank need about"));
  EXPECT_THAT(error, HasSubstr("GiB of activations (more than 1 TiB)"));
}

TEST(BadGridTest, UnknownDeviceAndPrecision) {
  EXPECT_THAT(LoadError(std::string(kSmallGrid) + "execution: {device: gpu}\n"),
              HasSubstr("bad.yaml:17:21: execution.device: unknown device 'gpu'"));
  EXPECT_THAT(LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  precision: fp16")),
              HasSubstr("bad.yaml:16:14: training.precision: unknown precision 'fp16'"));
  EXPECT_THAT(LoadError(SmallGridWith("batch_size: 64", "batch_size: 64\n  precision: tf16")),
              HasSubstr("expected one of: fp32, bf16, tf32"));
}

TEST(BadGridTest, ListWhereAMappingBelongs) {
  const std::string error =
      LoadError(SmallGridWith("  optimizer: {learning_rate: 1.0e-3}", "  optimizer: [adamw]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:14: training.optimizer: expected a mapping"));
}

TEST(BadGridTest, OutOfRangeValue) {
  const std::string error = LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: -1"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:30: training.optimizer.learning_rate: must be in "
                               "(0, 10), got -1"));
}

TEST(BadGridTest, UnknownEnumValueWithSuggestion) {
  const std::string error = LoadError(SmallGridWith("image: symbolic", "image: symbolik"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:5:10: data.image: unknown image mode 'symbolik' "
                               "(did you mean 'symbolic'?)"));
}

TEST(BadGridTest, TensorParallelMustDivideHeads) {
  // The `l` preset has 6 heads.
  const std::string error =
      LoadError(SmallGridWith("sizes: [xs, s]", "sizes: [xs, {preset: l, tensor_parallel: 4}]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:12:44: model.sizes.l: tensor_parallel 4 does not "
                               "divide heads 6"));
}

TEST(BadGridTest, TensorParallelMustDivideFfn) {
  const std::string error = LoadError(SmallGridWith(
      "sizes: [xs, s]",
      "sizes: [{name: odd, d_model: 32, layers: 1, heads: 4, ffn: 90, tensor_parallel: 4}]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:12:83: model.sizes.odd: tensor_parallel 4 does not "
                               "divide ffn 90"));
}

TEST(BadGridTest, TensorParallelMustDivideVocabulary) {
  std::string text = SmallGridWith("vocab_size: 512", "vocab_size: 510");
  text += "parallel: {tensor_parallel: 4}\n";
  const std::string error = LoadError(text);
  EXPECT_THAT(error, HasSubstr("bad.yaml:17:29: model.sizes.xs: tensor_parallel 4 does not "
                               "divide model.vocab_size 510"));
}

TEST(BadGridTest, CoverageNamesAnUnknownTask) {
  const std::string error = LoadError(SmallGridWith("    translate:", "    translation:"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:9:5: data.coverage: unknown task 'translation' "
                               "(did you mean 'translate'?)"));
}

TEST(BadGridTest, CoverageNamesAnUnknownLanguage) {
  const std::string error = LoadError(SmallGridWith("es: eval", "ex: eval"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:8:37: data.coverage.caption: unknown language 'ex' "
                               "(did you mean 'en'?)"));
}

TEST(BadGridTest, WeightForAPairNeitherTrainedNorEvaluated) {
  std::string text = SmallGridWith("  coverage:\n", "  weights: {caption_fr: 2}\n  coverage:\n");
  const std::string error = LoadError(text);
  EXPECT_THAT(error, HasSubstr("bad.yaml:7:13: data.weights: pair 'caption_fr' is neither "
                               "trained nor evaluated"));
}

TEST(BadGridTest, WeightForAnEvaluationOnlyPair) {
  const std::string error =
      LoadError(SmallGridWith("  coverage:\n", "  weights: {caption_es: 2}\n  coverage:\n"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:7:13: data.weights: pair 'caption_es' is "
                               "evaluation-only"));
}

TEST(BadGridTest, LanguageNeitherTrainedNorEvaluated) {
  const std::string error = LoadError(SmallGridWith("[en, de, es]", "[en, de, es, fr]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:6:27: data.languages: language 'fr' is neither "
                               "trained nor evaluated"));
}

TEST(BadGridTest, TranslationIntoEnglish) {
  const std::string error = LoadError(SmallGridWith("{de: train, es: train}", "{en: train}"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:9:17: data.coverage.translate: 'en' cannot be a target"));
}

TEST(BadGridTest, EmptyGrid) {
  const std::string error =
      LoadError(std::string(kSmallGrid) + "exclude:\n  - {size: xs}\n  - {size: s}\n");
  EXPECT_THAT(error, HasSubstr("bad.yaml:18:3: the grid is empty"));
}

TEST(BadGridTest, NoSizesAtAll) {
  const std::string error = LoadError(SmallGridWith("sizes: [xs, s]", "sizes: []"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:12:10: model.sizes: the grid has no model sizes"));
}

TEST(BadGridTest, DuplicateSizes) {
  const std::string error = LoadError(SmallGridWith("[xs, s]", "[xs, s, xs]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:12:18: model.sizes: duplicate size 'xs'"));
}

TEST(BadGridTest, SameDimensionsUnderAnotherName) {
  const std::string error = LoadError(SmallGridWith("[xs, s]", "[xs, {preset: xs, name: xs2}]"));
  EXPECT_THAT(error, HasSubstr("model.sizes: size 'xs2' duplicates size 'xs'"));
}

TEST(BadGridTest, UnknownPresetWithSuggestion) {
  const std::string error = LoadError(SmallGridWith("[xs, s]", "[xs, xxl]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:12:15: model.sizes[1]: unknown model size preset "
                               "'xxl' (did you mean 'xl'?)"));
}

TEST(BadGridTest, DuplicateKey) {
  const std::string error =
      LoadError(SmallGridWith("  batch_size: 64\n", "  batch_size: 64\n  batch_size: 32\n"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:16:3: training: key 'batch_size' appears twice"));
}

TEST(BadGridTest, DuplicateBudget) {
  const std::string error = LoadError(SmallGridWith("[10k, 20k]", "[10k, 10000]"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:14:18: training.budgets: budget 10000 appears twice"));
}

TEST(BadGridTest, IncludeNamesAnUnknownSize) {
  const std::string error =
      LoadError(std::string(kSmallGrid) + "include:\n  - {size: m, budget: 10k}\n");
  EXPECT_THAT(error, HasSubstr("bad.yaml:18:12: include: size 'm' is not in model.sizes"));
}

TEST(BadGridTest, EmptyFileAndNonMapping) {
  EXPECT_THAT(LoadError(""), HasSubstr("bad.yaml:1:1: the grid file is empty"));
  EXPECT_THAT(LoadError("- a\n- b\n"), HasSubstr("bad.yaml:1:1: expected a mapping"));
}

TEST(BadGridTest, DeepNestingIsRefusedBeforeParsingAtItsLine) {
  // The 65th '[' of line 2 passes the limit of 64 levels.
  EXPECT_THAT(LoadError("a: 1\n" + std::string(100000, '[')),
              HasSubstr("bad.yaml:2:65: grid file nests deeper than 64 levels"));
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  EXPECT_THAT(LoadError(dashes + "x\n"), HasSubstr("bad.yaml:1:"));
  EXPECT_THAT(LoadError(dashes + "x\n"), HasSubstr("nests deeper than"));
}

// A stream without end is refused once it passes the size limit, not read whole first.
TEST(BadGridTest, AnEndlessStreamIsRefusedAtTheSizeLimit) {
  try {
    LoadGrid("/dev/zero");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/zero: grid file is larger than 4194304 bytes"));
  }
}

TEST(BadGridTest, ReportsEveryProblemNotJustTheFirst) {
  std::string text = SmallGridWith("batch_size: 64", "batch_size: 0");
  text = text.replace(text.find("name: small"), 11, "name: 'a b'");
  const std::string error = LoadError(text);
  EXPECT_THAT(error, HasSubstr("bad.yaml:2:9: experiment.name"));
  EXPECT_THAT(error, HasSubstr("bad.yaml:15:15: training.batch_size: must be >= 1"));
}

}  // namespace
}  // namespace florenz
