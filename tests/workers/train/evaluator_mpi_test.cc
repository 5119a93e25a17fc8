// Evaluation sharded over data-parallel ranks (issue 26, item 9), under mpiexec -n 2 and 4: with
// the world as the dp communicator each rank scores its share of every set — a 1/size of the
// samples the single-replica evaluation scores — and every rank returns the single-replica
// table: cross-entropy within float rounding, metrics of generated outputs and disambiguation
// exactly (the same outputs and choices, gathered).
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <string>

#include "experiments/grid_loader.h"
#include "parallel/mpi_comm.h"
#include "parallel/mpi_communicator.h"
#include "tests/mpi_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/evaluator.h"

namespace florenz::train {
namespace {

// 12 samples per pair and per disambiguation language: shares of 6 at -n 2, 3 at -n 4.
constexpr const char* kGrid =
    "experiment: {name: sharded}\n"
    "data:\n"
    "  image: symbolic\n"
    "  max_caption_tokens: 20\n"
    "  languages: [en, de, es]\n"
    "  ambiguous_words: [bat, bow]\n"
    "  coverage:\n"
    "    caption: {en: train, es: eval}\n"
    "    translate: {de: train, es: train}\n"
    "model:\n"
    "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
    "training: {budgets: [640], batch_size: 8}\n"
    "evaluation:\n"
    "  samples_per_pair: 12\n"
    "  batch_size: 4\n"
    "  beam_size: 2\n"
    "  max_length: 10\n"
    "  metrics: [cross_entropy, bleu, language_accuracy, disambiguation, exact_match]\n";

TEST(EvaluatorMpiTest, DataParallelRanksScoreTheirShareAndAgreeWithOneReplica) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(kGrid, "sharded.yaml", data::CheckDataSpec);
  const ExperimentSpec& spec = grid.runs[0].spec();
  ASSERT_EQ(spec.evaluation.batch_size, 4);
  const data::DataGenerator data(spec);
  model::EncoderDecoder model(spec.model.sizes[0], spec.model,
                              model::LayoutOf(spec.data, spec.model.patch_size).features, 5);
  const Evaluator evaluator(spec, data);
  MpiCommunicator dp(MpiComm::Borrow(MPI_COMM_WORLD));
  const int size = testing::WorldSize();
  ASSERT_EQ(12 % size, 0);

  const EvalTable one = evaluator.Evaluate(model, /*final=*/true);
  const int64_t scored_by_one = evaluator.scored();
  const EvalTable sharded = evaluator.Evaluate(model, /*final=*/true, &dp);
  const int64_t scored_by_rank = evaluator.scored() - scored_by_one;

  EXPECT_GT(scored_by_one, 0);
  EXPECT_EQ(scored_by_rank * size, scored_by_one) << "rank " << dp.rank();
  ASSERT_EQ(sharded.size(), one.size());
  for (const auto& [pair, metrics] : one) {
    ASSERT_EQ(sharded.at(pair).size(), metrics.size()) << pair;
    EXPECT_GT(metrics.count("bleu"), 0u) << pair;
    for (const auto& [name, value] : metrics) {
      const double got = sharded.at(pair).at(name);
      if (name.rfind("cross_entropy", 0) == 0) {
        EXPECT_NEAR(got, value, 1e-6 * value) << pair << " " << name;
      } else {
        EXPECT_EQ(got, value) << pair << " " << name;
      }
    }
  }
  EXPECT_GT(one.at("translate_es").count("disambiguation"), 0u);

  // Every rank holds the same table: rank 0's values, broadcast, equal this rank's.
  std::vector<double> values;
  for (const auto& [pair, metrics] : sharded) {
    for (const auto& [name, value] : metrics) values.push_back(value);
  }
  std::vector<double> root = values;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  EXPECT_EQ(root, values);
}

TEST(EvaluatorMpiTest, SharesCoverTheSetInRankOrder) {
  for (int ranks : {1, 2, 3, 4, 7}) {
    for (int64_t n : {0, 1, 5, 12, 13}) {
      int64_t next = 0, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const EvalShare share = ShareOf(n, r, ranks);
        EXPECT_EQ(share.begin, next);
        EXPECT_LE(share.end - share.begin, (n + ranks - 1) / ranks);
        EXPECT_GE(share.end - share.begin, n / ranks);
        largest = std::max(largest, share.end - share.begin);
        next = share.end;
      }
      EXPECT_EQ(next, n);
      EXPECT_EQ(largest, ShareOf(n, 0, ranks).end);
    }
  }
}

}  // namespace
}  // namespace florenz::train
