// One tiny run end to end: the run file holds the train curve, the evaluation CE per pair and
// the final metrics; the loss falls; a killed attempt resumes from its checkpoint to the same
// numbers as an uninterrupted run (here in-process; tests/orchestrator kills a real process).
#include "workers/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "experiments/run_file_reader.h"
#include "parallel/device_reads.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/fault_injection.h"

namespace florenz::train {
namespace {

// Final metrics less the wall-clock ones (evaluation_seconds, training_seconds).
std::map<std::string, double> WithoutTimes(std::map<std::string, double> metrics) {
  for (auto it = metrics.begin(); it != metrics.end();) {
    it = it->first.size() > 8 && it->first.compare(it->first.size() - 8, 8, "_seconds") == 0
             ? metrics.erase(it)
             : std::next(it);
  }
  return metrics;
}

std::string TinyGrid(int64_t checkpoint_interval) {
  return "experiment: {name: tiny}\n"
         "data:\n"
         "  image: symbolic\n"
         "  image_noise: 0.3\n"
         "  max_caption_tokens: 24\n"
         "  languages: [en, de, es]\n"
         "  coverage:\n"
         "    caption: {en: train, de: train, es: eval}\n"
         "    translate: {de: train, es: train}\n"
         "model:\n"
         "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
         "training:\n"
         "  budgets: [1280]\n"
         "  batch_size: 32\n"
         "  log_interval: 5\n"
         "  optimizer: {learning_rate: 3.0e-3}\n"
         "evaluation: {interval: 640, samples_per_pair: 16}\n"
         "execution: {checkpoint_interval: " +
         std::to_string(checkpoint_interval) + ", threads: 1}\n";
}

std::filesystem::path FreshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(TrainerTest, TrainsARunAndCommitsItsFile) {
  const LoadedGrid grid = LoadGridFromString(TinyGrid(0), "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_test"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  int progress_calls = 0;
  context.on_progress = [&](const TrainProgress&) { ++progress_calls; };
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  EXPECT_EQ(outcome.status, RunStatus::kCompleted);
  EXPECT_EQ(progress_calls, 8);  // 40 steps, logged every 5
  EXPECT_TRUE(results.IsFinished(grid.runs[0].id));
  ASSERT_TRUE(outcome.final_metrics.count("unseen_caption"));
  ASSERT_TRUE(outcome.final_metrics.count("seen_translate"));
  ASSERT_TRUE(outcome.final_metrics.count("cross_entropy_caption_es"));

  const RunFileReader reader = RunFileReader::Open(outcome.file);
  EXPECT_EQ(reader.status(), RunStatus::kCompleted);
  const auto train = reader.ReadTrain();
  ASSERT_EQ(train.step.size(), 8u);
  EXPECT_EQ(train.step.back(), 40);
  EXPECT_EQ(train.samples.back(), 1280);
  EXPECT_LT(train.loss.back(), train.loss.front());
  const auto eval = reader.ReadEval("caption_es");
  ASSERT_EQ(eval.step.size(), 2u);  // at 640 samples and at the end
  EXPECT_EQ(eval.samples.back(), 1280);
  EXPECT_DOUBLE_EQ(eval.metrics.at("cross_entropy").back(),
                   outcome.final_metrics.at("cross_entropy_caption_es"));
  EXPECT_GT(reader.numbers().at("non_embedding_params"), 0);
  EXPECT_FALSE(std::filesystem::exists(results.CheckpointDir(grid.runs[0].id)));
}

// evaluation.generation: generation metrics at the final evaluation only (NaN before it), or
// at every evaluation; cross-entropy at every one either way, the same in both.
TEST(TrainerTest, GenerationMetricsAtTheFinalEvaluationOrAtEvery) {
  std::map<std::string, std::vector<double>> bleu, ce;
  for (const std::string when : {"final", "every"}) {
    std::string text = TinyGrid(0);
    text.replace(text.find("samples_per_pair: 16}"), 21,
                 "samples_per_pair: 16, metrics: [cross_entropy, bleu], generation: " + when + "}");
    const LoadedGrid grid = LoadGridFromString(text, "tiny.yaml", data::CheckDataSpec);
    const data::DataGenerator data(grid.spec);
    ResultsDir results(FreshDir("florenz_trainer_generation_" + when));
    results.Create();
    RunContext context;
    context.results = &results;
    context.threads = 1;
    const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
    ASSERT_EQ(outcome.status, RunStatus::kCompleted) << outcome.reason;
    const auto eval = RunFileReader::Open(outcome.file).ReadEval("caption_en");
    ASSERT_EQ(eval.step.size(), 2u);  // at 640 samples and at the end
    bleu[when] = eval.metrics.at("bleu");
    ce[when] = eval.metrics.at("cross_entropy");
  }
  EXPECT_TRUE(std::isnan(bleu["final"][0]));
  EXPECT_FALSE(std::isnan(bleu["every"][0]));
  EXPECT_EQ(bleu["final"][1], bleu["every"][1]);
  EXPECT_EQ(ce["final"], ce["every"]);
}

// A learning-rate rule and a warm-up per parameter reach the optimizer: the run logs its size's
// rate (d_model 16 under base_width 32, exponent -1: twice learning_rate) after its size's
// warm-up, and its /config records both.
TEST(TrainerTest, TheRunTrainsWithItsSizesRateAndWarmup) {
  std::string text = TinyGrid(0);
  text.replace(text.find("{learning_rate: 3.0e-3}"), 23,
               "{learning_rate: 1.0e-3, learning_rate_rule: {kind: power, base_width: 32, "
               "exponent: -1}}\n  schedule: {kind: constant, warmup_samples_per_param: 0.02}");
  text.replace(text.find("log_interval: 5"), 15, "log_interval: 1");
  const LoadedGrid grid = LoadGridFromString(text, "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_rule"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  ASSERT_EQ(outcome.status, RunStatus::kCompleted) << outcome.reason;
  const RunFileReader reader = RunFileReader::Open(outcome.file);
  const double n = reader.numbers().at("non_embedding_params");
  const int64_t warmup_steps = (std::llround(0.02 * n) + 31) / 32;
  ASSERT_GT(warmup_steps, 1);
  ASSERT_LT(warmup_steps, 39);
  EXPECT_DOUBLE_EQ(reader.numbers().at("peak_learning_rate"), 2.0e-3);
  EXPECT_EQ(reader.numbers().at("warmup_samples"), static_cast<double>(std::llround(0.02 * n)));
  const auto train = reader.ReadTrain();
  ASSERT_EQ(train.lr.size(), 40u);
  EXPECT_LT(train.lr[static_cast<size_t>(warmup_steps) - 2], 2.0e-3);  // still warming up
  EXPECT_DOUBLE_EQ(train.lr[static_cast<size_t>(warmup_steps)], 2.0e-3);
  EXPECT_DOUBLE_EQ(train.lr.back(), 2.0e-3);
}

// The training step reads nothing back from the device between two log steps (on a GPU every
// read would stall the host): each log step costs exactly one read (loss and gradient norm
// together), whatever the log interval, so the steps between log steps cost none.
TEST(TrainerTest, StepsBetweenLogStepsReadNothingFromTheDevice) {
  for (const int64_t log_interval : {1, 5, 10}) {
    std::string text = TinyGrid(0);
    text.replace(text.find("log_interval: 5"), 15, "log_interval: " + std::to_string(log_interval));
    text.replace(text.find("interval: 640"), 13, "interval: 0");  // evaluation only at the end
    const LoadedGrid grid = LoadGridFromString(text, "tiny.yaml", data::CheckDataSpec);
    const data::DataGenerator data(grid.spec);
    ResultsDir results(FreshDir("florenz_trainer_reads"));
    results.Create();
    RunContext context;
    context.results = &results;
    context.threads = 1;
    std::vector<int64_t> reads_at_log;
    context.on_progress = [&](const TrainProgress&) { reads_at_log.push_back(DeviceReads()); };
    TrainRun(grid.runs[0], data, context);
    ASSERT_EQ(reads_at_log.size(), static_cast<size_t>(40 / log_interval)) << log_interval;
    for (size_t i = 1; i < reads_at_log.size(); ++i) {
      EXPECT_EQ(reads_at_log[i] - reads_at_log[i - 1], 1)
          << "reads between log steps " << i * log_interval << " and " << (i + 1) * log_interval
          << " (log_interval " << log_interval << ")";
    }
  }
}

// A grid's TinyGrid as a muP model of base width 8 (its d_model is 16: width multiplier 2), so
// the hidden matrices train in an optimizer group of their own.
std::string TinyMupGrid(int64_t checkpoint_interval) {
  std::string text = TinyGrid(checkpoint_interval);
  text.replace(text.find("model:\n"), 7, "model:\n  parametrization: mup\n  base_width: 8\n");
  return text;
}

// `tag` names the test's folders: CTest runs the tests of this file in parallel.
void ExpectResumingReproducesTheUninterruptedRun(const std::string& grid_text,
                                                 const std::string& tag) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(grid_text, "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const RunSpec& run = grid.runs[0];

  ResultsDir straight(FreshDir("florenz_trainer_straight_" + tag));
  straight.Create();
  RunContext context;
  context.results = &straight;
  context.threads = 1;
  const RunOutcome reference = TrainRun(run, data, context);

  // An attempt that dies right after its checkpoint at 640 samples (step 20).
  ResultsDir interrupted(FreshDir("florenz_trainer_interrupted_" + tag));
  interrupted.Create();
  context.results = &interrupted;
  context.on_progress = [&](const TrainProgress& p) {
    if (p.step == 25) throw std::runtime_error("killed");
  };
  EXPECT_THROW(TrainRun(run, data, context), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(interrupted.CheckpointDir(run.id) / "checkpoint.pt"));
  context.on_progress = nullptr;
  const RunOutcome resumed = TrainRun(run, data, context);

  EXPECT_EQ(WithoutTimes(resumed.final_metrics), WithoutTimes(reference.final_metrics));
  const auto a = RunFileReader::Open(reference.file).ReadTrain();
  const auto b = RunFileReader::Open(resumed.file).ReadTrain();
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.lr, b.lr);
  EXPECT_EQ(a.grad_norm, b.grad_norm);
  EXPECT_EQ(RunFileReader::Open(reference.file).ReadEval("caption_es").metrics,
            RunFileReader::Open(resumed.file).ReadEval("caption_es").metrics);
}

TEST(TrainerTest, ResumingFromACheckpointReproducesTheUninterruptedRun) {
  ExpectResumingReproducesTheUninterruptedRun(TinyGrid(640), "standard");
}

// muP's two optimizer groups (learning_rate_groups.h) go through a checkpoint and back, and the
// run trains: its loss falls.
TEST(TrainerTest, AMupRunResumesToTheBitAndTrains) {
  ExpectResumingReproducesTheUninterruptedRun(TinyMupGrid(640), "mup");
  const LoadedGrid grid = LoadGridFromString(TinyMupGrid(0), "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_mup"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  ASSERT_EQ(outcome.status, RunStatus::kCompleted) << outcome.reason;
  const auto train = RunFileReader::Open(outcome.file).ReadTrain();
  EXPECT_LT(train.loss.back(), 0.95 * train.loss.front());  // 6.16 -> 5.53 here
}

// Two checkpoint generations: a newest checkpoint that cannot be read (cut short) is set aside
// for the one before it, and the run still ends with the uninterrupted run's numbers.
TEST(TrainerTest, AnUnreadableNewestCheckpointFallsBackToThePreviousGeneration) {
  torch::set_num_threads(1);
  const LoadedGrid grid = LoadGridFromString(TinyGrid(320), "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  const RunSpec& run = grid.runs[0];
  ResultsDir straight(FreshDir("florenz_trainer_generations_straight"));
  straight.Create();
  RunContext context;
  context.results = &straight;
  context.threads = 1;
  const RunOutcome reference = TrainRun(run, data, context);

  ResultsDir interrupted(FreshDir("florenz_trainer_generations"));
  interrupted.Create();
  context.results = &interrupted;
  context.on_progress = [&](const TrainProgress& p) {
    if (p.step == 25) throw std::runtime_error("killed");  // after checkpoints at 10 and 20
  };
  EXPECT_THROW(TrainRun(run, data, context), std::runtime_error);
  const auto dir = interrupted.CheckpointDir(run.id);
  ASSERT_TRUE(std::filesystem::exists(dir / "checkpoint.previous.pt"));
  std::filesystem::resize_file(dir / "checkpoint.pt", 1000);
  context.on_progress = nullptr;
  const RunOutcome resumed = TrainRun(run, data, context);
  EXPECT_EQ(WithoutTimes(resumed.final_metrics), WithoutTimes(reference.final_metrics));
  EXPECT_EQ(RunFileReader::Open(resumed.file).ReadTrain().loss,
            RunFileReader::Open(reference.file).ReadTrain().loss);
}

TEST(TrainerTest, AFailedRunIsCommittedWithItsReasonAndCurve) {
  const LoadedGrid grid = LoadGridFromString(TinyGrid(0), "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_failed"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  context.on_progress = [&](const TrainProgress& p) {
    if (p.step == 10) throw std::runtime_error("out of memory (injected)");
  };
  EXPECT_THROW(TrainRun(grid.runs[0], data, context), std::runtime_error);
  const auto file = CommitFailedRun(grid.runs[0], data, results, "out of memory (injected)");
  const RunFileReader reader = RunFileReader::Open(file);
  EXPECT_EQ(reader.status(), RunStatus::kFailed);
  EXPECT_EQ(reader.reason(), "out of memory (injected)");
  EXPECT_EQ(reader.ReadTrain().step.size(), 2u);  // the rows logged before the failure
}

}  // namespace
}  // namespace florenz::train

namespace florenz::train {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("FLORENZ_FAULT"); }
};

TEST_F(FaultTest, ANonFiniteLossFailsTheRunWithItsStep) {
  const LoadedGrid grid = LoadGridFromString(TinyGrid(0), "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_diverge"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  setenv("FLORENZ_FAULT", (grid.runs[0].id + ":diverge@7").c_str(), 1);
  try {
    TrainRun(grid.runs[0], data, context);
    FAIL() << "expected RunError";
  } catch (const RunError& e) {
    EXPECT_EQ(std::string(e.what()), "diverged at step 7 (loss = nan)");
  }
}

// FLORENZ_FAULT's ioerror is a storage error (IoError), as a full disk gives.
TEST_F(FaultTest, AnInjectedIoErrorIsAStorageError) {
  setenv("FLORENZ_FAULT", "xs-10k:ioerror@3", 1);
  EXPECT_EQ(FaultAt("xs-10k-s0-abc", 3).kind, FaultKind::kIoError);
  EXPECT_THROW(RaiseFault(FaultAt("xs-10k-s0-abc", 3), "r", 3), IoError);
}

TEST_F(FaultTest, FaultsParseAndMatchRunsAndSteps) {
  setenv("FLORENZ_FAULT", "xs-10k:throw@3;s-20k:kill-once@5", 1);
  EXPECT_EQ(FaultAt("xs-10k-s0-abc", 3).kind, FaultKind::kThrow);
  EXPECT_EQ(FaultAt("xs-10k-s0-abc", 4).kind, FaultKind::kNone);
  EXPECT_EQ(FaultAt("s-20k-s0-def", 5).kind, FaultKind::kKill);
  EXPECT_TRUE(FaultAt("s-20k-s0-def", 5).once);
  EXPECT_EQ(FaultAt("m-20k-s0-def", 5).kind, FaultKind::kNone);
  EXPECT_THROW(RaiseFault(Fault{FaultKind::kThrow, false}, "r", 3), std::runtime_error);
  unsetenv("FLORENZ_FAULT");
  EXPECT_EQ(FaultAt("xs-10k-s0-abc", 3).kind, FaultKind::kNone);
}

}  // namespace
}  // namespace florenz::train

namespace florenz::train {
namespace {

// Evaluation of a trained small model against an untrained one. The CoMMuTE analogue: after
// training on translation with the image, the model prefers the
// translation whose homonym sense matches the image; with the image blanked it cannot.
TEST(EvaluationTest, ASmallModelCaptionsAndDisambiguatesThroughTheImage) {
  const std::string grid_text =
      "experiment: {name: commute}\n"
      "data:\n"
      "  image: symbolic\n"
      "  image_noise: 0.1\n"
      "  max_objects: 1\n"
      "  max_caption_tokens: 16\n"
      "  languages: [en, de]\n"
      "  coverage: {caption: {en: train}, translate: {de: train}}\n"
      "  ambiguous_words: [bat, bow]\n"
      "model:\n"
      "  sizes: [{name: small, d_model: 64, layers: 2, heads: 4, ffn: 128}]\n"
      "training:\n"
      "  budgets: [12800]\n"
      "  batch_size: 32\n"
      "  log_interval: 100\n"
      "  optimizer: {learning_rate: 3.0e-3}\n"
      "evaluation:\n"
      "  samples_per_pair: 200\n"
      "  beam_size: 1\n"
      "  metrics: [cross_entropy, disambiguation, bleu, language_accuracy, exact_match]\n"
      "execution: {threads: 1}\n";
  const LoadedGrid grid = LoadGridFromString(grid_text, "commute.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_commute"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  const RunOutcome outcome = TrainRun(grid.runs[0], data, context);
  ASSERT_TRUE(outcome.final_metrics.count("disambiguation_de"));
  EXPECT_GT(outcome.final_metrics.at("disambiguation_de"), 0.9)
      << outcome.final_metrics.at("disambiguation_blank_de");

  // The same items with the images blanked: at chance.
  EXPECT_NEAR(outcome.final_metrics.at("disambiguation_blank_de"), 0.5, 0.1);

  // It captions English well: BLEU and the scene read back from its captions far above an
  // untrained model's (one step of training), and in the right language.
  const auto& m = outcome.final_metrics;
  EXPECT_GT(m.at("bleu_caption_en"), 60) << "exact " << m.at("exact_match_caption_en");
  EXPECT_GT(m.at("language_accuracy_translate_de"), 0.95);
  const std::string untrained_text =
      std::string(grid_text).replace(grid_text.find("[12800]"), 7, "[32]");
  const LoadedGrid untrained =
      LoadGridFromString(untrained_text, "untrained.yaml", data::CheckDataSpec);
  const auto u = TrainRun(untrained.runs[0], data, context).final_metrics;
  EXPECT_LT(u.at("bleu_caption_en"), 20);
  EXPECT_LT(u.at("shape_accuracy_caption_en"), 0.3);
  EXPECT_GT(m.at("bleu_caption_en"), u.at("bleu_caption_en") + 40);
  // 12,800 samples of a small model: colours and shapes read back well above chance and far
  // above the untrained model (the study's larger runs do better; this keeps the test short).
  EXPECT_GT(m.at("colour_accuracy_caption_en"), u.at("colour_accuracy_caption_en") + 0.3);
  EXPECT_GT(m.at("shape_accuracy_caption_en"), u.at("shape_accuracy_caption_en") + 0.25);
}

}  // namespace
}  // namespace florenz::train

namespace florenz::train {
namespace {

TEST(EvaluationTest, UnseenPairsRecordWhichLanguageTheModelAnsweredIn) {
  std::string text = TinyGrid(0);
  text.replace(text.find("evaluation: {interval: 640, samples_per_pair: 16}"),
               std::string("evaluation: {interval: 640, samples_per_pair: 16}").size(),
               "evaluation: {samples_per_pair: 16, beam_size: 1, metrics: [cross_entropy, "
               "language_accuracy]}");
  const LoadedGrid grid = LoadGridFromString(text, "tiny.yaml", data::CheckDataSpec);
  const data::DataGenerator data(grid.spec);
  ResultsDir results(FreshDir("florenz_trainer_answered"));
  results.Create();
  RunContext context;
  context.results = &results;
  context.threads = 1;
  const auto m = TrainRun(grid.runs[0], data, context).final_metrics;
  double total = 0;
  for (const char* label : {"en", "de", "es", "mixed"}) {
    const std::string name = std::string("answered_") + label + "_caption_es";
    ASSERT_TRUE(m.count(name)) << name;
    total += m.at(name);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_TRUE(m.count("unseen_caption_answered_de"));
  EXPECT_TRUE(m.count("language_accuracy_prefix_caption_es"));
  EXPECT_FALSE(m.count("answered_de_caption_en"));  // trained pairs: language_accuracy says it
}

}  // namespace
}  // namespace florenz::train
