// A grid trained on a corpus of WebDataset shards, end to end with the real binaries: a
// synthetic grid's data exported as shards, a SentencePiece model trained on them, `florenz
// validate` and `florenz run` on a grid with data.source: shards. The run learns (its loss falls,
// its seen pair's BLEU is far above an untrained model's), records the tokenizer's hash and the
// epochs its budget made; kill -9 and the same command finish with exactly the numbers of an
// uninterrupted run; a resume with another tokenizer is refused; a corrupt image stops the run
// with SHARD:KEY, or is skipped and counted with data.on_bad_sample: skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"
#include "tests/workers/data/shards/shards_test_util.h"
#include "workers/data/shards/image_decode.h"
#include "workers/data/shards/npy_features.h"
#include "workers/data/shards/tar_file.h"

namespace florenz {
namespace {

using e2e::Florenz;
using e2e::Result;
using e2e::RunShell;
using e2e::WithoutTimes;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ShardsRunE2eTest : public ::testing::Test {
 protected:
  // One corpus for the whole suite: 300 train scenes (900 samples), 40 eval scenes after them,
  // and a tokenizer.
  static void SetUpTestSuite() {
    // CTest runs each test of this file in a process of its own, some at once: one corpus each.
    corpus_ =
        fs::temp_directory_path() / ("florenz_shards_run_e2e_corpus_" + std::to_string(::getpid()));
    fs::remove_all(corpus_);
    fs::create_directories(corpus_);
    std::ofstream(corpus_ / "synthetic.yaml") << testing::kShardsGrid;  // rendered, en and de
    const std::string grid = (corpus_ / "synthetic.yaml").string();
    const std::string out = (corpus_ / "shards").string();
    ASSERT_EQ(
        Florenz("data export " + grid + " --out " + out + " --scenes 300 --per-shard 100").code, 0);
    ASSERT_EQ(Florenz("data export " + grid + " --out " + out +
                      " --scenes 40 --first-scene 300 --prefix eval")
                  .code,
              0);
    const Result tokenizer =
        Florenz("data tokenizer '" + out + "/train-{000000..000002}.tar' --vocab 100 --out " +
                (corpus_ / "tok.model").string());
    ASSERT_EQ(tokenizer.code, 0) << tokenizer.output;
  }

  static void TearDownTestSuite() { fs::remove_all(corpus_); }
  void SetUp() override { root_ = e2e::FreshTestFolder("florenz_shards_run_e2e_"); }

  // A shards grid over the suite's corpus (copied into this test's folder when `own_copy`).
  fs::path Grid(int64_t budget, const std::string& extra = "", bool own_copy = false) {
    fs::path shards = corpus_ / "shards", tokenizer = corpus_ / "tok.model";
    if (own_copy) {
      fs::copy(corpus_ / "shards", root_ / "shards");
      fs::copy_file(corpus_ / "tok.model", root_ / "tok.model");
      shards = root_ / "shards";
      tokenizer = root_ / "tok.model";
    }
    const fs::path grid = root_ / ("grid-" + std::to_string(budget) + ".yaml");
    std::ofstream(grid) << "experiment: {name: corpus}\n"
                           "data:\n"
                           "  source: shards\n"
                           "  train: '"
                        << shards.string() << "/train-{000000..000002}.tar'\n  eval: '"
                        << shards.string() << "/eval-000000.tar'\n  tokenizer: '"
                        << tokenizer.string()
                        << "'\n"
                           "  image: pixels\n"
                           "  image_size: 16\n"
                           "  max_caption_tokens: 24\n"
                           "  languages: [en, de]\n"
                           "  coverage:\n"
                           "    caption: {en: train, de: eval}\n"
                           "    translate: {de: train}\n"
                        << extra
                        << "model:\n"
                           "  patch_size: 4\n"
                           "  vocab_size: 128\n"
                           "  sizes: [{name: tiny, d_model: 32, layers: 1, heads: 2, ffn: 64}]\n"
                           "training:\n"
                           "  budgets: ["
                        << budget
                        << "]\n"
                           "  batch_size: 32\n"
                           "  log_interval: 5\n"
                           "  optimizer: {learning_rate: 0.003}\n"
                           "evaluation:\n"
                           "  samples_per_pair: 16\n"
                           "  metrics: [cross_entropy, bleu, language_accuracy]\n"
                           "execution: {checkpoint_interval: 640, threads: 1}\n";
    return grid;
  }

  static RunFileReader OnlyRun(const fs::path& out) {
    return RunFileReader::Open(ResultsDir(out).ListRuns().at(0).file);
  }

  static fs::path corpus_;
  fs::path root_;
};

fs::path ShardsRunE2eTest::corpus_;

TEST_F(ShardsRunE2eTest, ARunOnShardsLearnsAndRecordsItsTokenizerAndEpochs) {
  const fs::path grid = Grid(6000);
  const Result validate = Florenz("validate " + grid.string());
  ASSERT_EQ(validate.code, 0) << validate.output;

  const Result trained = Florenz("run " + grid.string() + " --out " + (root_ / "trained").string());
  ASSERT_EQ(trained.code, 0) << trained.output;
  EXPECT_THAT(trained.output, HasSubstr("tokenized 900 samples"));
  const RunFileReader run = OnlyRun(root_ / "trained");
  const auto loss = run.ReadTrain().loss;
  ASSERT_GE(loss.size(), 10u);
  EXPECT_LT(loss.back(), 0.5 * loss.front());
  EXPECT_EQ(run.numbers().at("epochs_seen"), 6000.0 / 600);  // caption_en + translate_de
  EXPECT_EQ(run.strings().at("tokenizer_hash").size(), 16u);
  EXPECT_GT(run.numbers().at("language_id_accuracy"), 0.9);
  const auto metrics = run.final_metrics();
  EXPECT_EQ(metrics.at("bad_samples_skipped"), 0);
  EXPECT_EQ(metrics.count("exact_match_translate_de"), 0u);  // needs scene graphs: not applicable

  // An untrained model (one step): the seen pair's BLEU is far below the trained one's.
  const Result untrained =
      Florenz("run " + Grid(32).string() + " --out " + (root_ / "untrained").string());
  ASSERT_EQ(untrained.code, 0) << untrained.output;
  const auto before = OnlyRun(root_ / "untrained").final_metrics();
  EXPECT_GT(metrics.at("bleu_translate_de"), 20);
  EXPECT_GT(metrics.at("bleu_translate_de"), before.at("bleu_translate_de") + 15);
  EXPECT_GT(metrics.at("language_accuracy_translate_de"), 0.9);
  EXPECT_LT(metrics.at("cross_entropy_caption_en"), before.at("cross_entropy_caption_en") - 1);
}

TEST_F(ShardsRunE2eTest, KillNineThenTheSameCommandFinishesWithIdenticalNumbers) {
  const fs::path grid = Grid(2560);
  const std::string straight = (root_ / "straight").string(), killed = (root_ / "killed").string();
  ASSERT_EQ(Florenz("run " + grid.string() + " --out " + straight).code, 0);
  // The process kills itself (SIGKILL) after step 30, past the checkpoint at 640 samples.
  const Result died = RunShell("FLORENZ_FAULT='tiny:kill@30' " + std::string(FLORENZ_BIN) +
                               " run " + grid.string() + " --out " + killed);
  ASSERT_NE(died.code, 0) << died.output;
  ASSERT_FALSE(ResultsDir(killed).ListRuns().at(0).finished);
  const Result resumed = Florenz("run " + grid.string() + " --out " + killed);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const RunFileReader a = OnlyRun(straight), b = OnlyRun(killed);
  EXPECT_EQ(a.ReadTrain().loss, b.ReadTrain().loss);
  EXPECT_EQ(a.ReadTrain().grad_norm, b.ReadTrain().grad_norm);
  EXPECT_EQ(WithoutTimes(a.final_metrics()), WithoutTimes(b.final_metrics()));
}

TEST_F(ShardsRunE2eTest, AResumeWithAnotherTokenizerIsRefused) {
  const fs::path grid = Grid(2560, "", /*own_copy=*/true);
  const std::string out = (root_ / "out").string();
  ASSERT_NE(RunShell("FLORENZ_FAULT='tiny:kill@30' " + std::string(FLORENZ_BIN) + " run " +
                     grid.string() + " --out " + out)
                .code,
            0);
  const Result other =
      Florenz("data tokenizer '" + (root_ / "shards").string() +
              "/train-{000000..000002}.tar' --vocab 90 --out " + (root_ / "tok.model").string());
  ASSERT_EQ(other.code, 0) << other.output;
  const Result refused = Florenz("run " + grid.string() + " --out " + out);
  EXPECT_EQ(refused.code, 3) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("cannot resume with tokenizer"));
}

// The corpus with the PNG of `key` in its first train shard replaced by bytes that are no image.
void CorruptImage(const fs::path& shards, const std::string& key) {
  const std::string shard = (shards / "train-000000.tar").string();
  const auto members = data::ListTarMembers(shard);
  const std::string broken = shard + ".new";
  {
    const data::TarReader reader(shard);
    data::TarWriter writer(broken);
    for (const auto& m : members) {
      writer.Add(m.name,
                 m.name == key + ".png" ? std::string(m.size, 'x') : reader.Read(m.offset, m.size));
    }
    writer.Close();
  }
  fs::rename(broken, shard);
}

TEST_F(ShardsRunE2eTest, ACorruptImageStopsTheRunWithItsShardAndKeyOrIsSkippedAndCounted) {
  const fs::path stop = Grid(640, "", /*own_copy=*/true);
  CorruptImage(root_ / "shards", "00000007-caption_en");
  const Result stopped = Florenz("run " + stop.string() + " --out " + (root_ / "stop").string());
  EXPECT_EQ(stopped.code, 3) << stopped.output;
  EXPECT_THAT(stopped.output, HasSubstr("train-000000.tar:00000007-caption_en"));

  const fs::path skip = root_ / "skip.yaml";
  std::string text = e2e::ReadBytes(stop);
  text.replace(text.find("  languages:"), 0, "  on_bad_sample: skip\n");
  std::ofstream(skip) << text;
  const Result skipped = Florenz("run " + skip.string() + " --out " + (root_ / "skip").string());
  ASSERT_EQ(skipped.code, 0) << skipped.output;
  EXPECT_GE(OnlyRun(root_ / "skip").final_metrics().at("bad_samples_skipped"), 1);
}

// Two data-parallel ranks under mpiexec (-n 3: the coordinator and a gang of dp = 2) read
// disjoint halves of each step's batch: together exactly the samples one rank reads alone, so
// the losses equal a single rank's up to the order of the float reductions.
TEST_F(ShardsRunE2eTest, TwoDataParallelRanksTogetherReadWhatOneRankReads) {
  const fs::path single = Grid(1280);
  std::string text = e2e::ReadBytes(single);
  text.replace(text.find("ffn: 64}"), 8, "ffn: 64, data_parallel: 2}");
  const fs::path dp = root_ / "dp.yaml";
  std::ofstream(dp) << text;
  ASSERT_EQ(Florenz("run " + single.string() + " --out " + (root_ / "one").string()).code, 0);
  const Result two =
      RunShell("env " + std::string(e2e::kMpiEnvironment) + " " + MPIEXEC + " -n 3 " + FLORENZ_BIN +
               " run " + dp.string() + " --out " + (root_ / "two").string());
  ASSERT_EQ(two.code, 0) << two.output;
  const RunFileReader a = OnlyRun(root_ / "one"), b = OnlyRun(root_ / "two");
  EXPECT_EQ(b.numbers().at("data_parallel"), 2);
  const auto la = a.ReadTrain().loss, lb = b.ReadTrain().loss;
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 1e-3 * la[i]) << "row " << i;
}

// `shard` with every PNG replaced by precomputed features: the image decoded at 16 px and cut
// into 16 patches of 4 × 4 × 3 values, float16 — what a frozen patch encoder would give.
void PngToFeatures(const fs::path& from, const fs::path& to) {
  const data::TarReader reader(from.string());
  data::TarWriter writer(to.string());
  for (const auto& m : data::ListTarMembers(from.string())) {
    const std::string bytes = reader.Read(m.offset, m.size);
    if (m.name.size() < 4 || m.name.compare(m.name.size() - 4, 4, ".png") != 0) {
      writer.Add(m.name, bytes);
      continue;
    }
    const std::vector<float> chw = data::DecodeAndResize(data::ImageKind::kPng, bytes, 16, m.name);
    data::FeatureArray f;
    f.tokens = 16;
    f.dim = 48;
    for (int pr = 0; pr < 4; ++pr) {
      for (int pc = 0; pc < 4; ++pc) {
        for (int c = 0; c < 3; ++c) {
          for (int i = 0; i < 4; ++i) {
            for (int j = 0; j < 4; ++j)
              f.values.push_back(chw[(c * 16 + pr * 4 + i) * 16 + pc * 4 + j]);
          }
        }
      }
    }
    writer.Add(m.name.substr(0, m.name.size() - 4) + ".npy", data::WriteNpyFeatures(f, true));
  }
  writer.Close();
}

TEST_F(ShardsRunE2eTest, PrecomputedFeaturesTrainThroughTheLinearProjection) {
  fs::create_directories(root_ / "shards");
  for (const char* name :
       {"train-000000.tar", "train-000001.tar", "train-000002.tar", "eval-000000.tar"}) {
    PngToFeatures(corpus_ / "shards" / name, root_ / "shards" / name);
  }
  fs::copy_file(corpus_ / "tok.model", root_ / "tok.model");
  // Grid() with its own copy points at root_/shards and root_/tok.model; they are there.
  std::string text = e2e::ReadBytes(Grid(3200));
  const auto at = [&](const std::string& what) { return text.find(what); };
  text.replace(at((corpus_ / "shards").string()), (corpus_ / "shards").string().size(),
               (root_ / "shards").string());
  text.replace(at((corpus_ / "shards").string()), (corpus_ / "shards").string().size(),
               (root_ / "shards").string());
  text.replace(at((corpus_ / "tok.model").string()), (corpus_ / "tok.model").string().size(),
               (root_ / "tok.model").string());
  text.replace(at("image: pixels"), 13, "image: features\n  feature_shape: [16, 48]");
  const fs::path grid = root_ / "features.yaml";
  std::ofstream(grid) << text;
  const Result validate = Florenz("validate " + grid.string());
  ASSERT_EQ(validate.code, 0) << validate.output;
  const Result trained = Florenz("run " + grid.string() + " --out " + (root_ / "out").string());
  ASSERT_EQ(trained.code, 0) << trained.output;
  const RunFileReader run = OnlyRun(root_ / "out");
  EXPECT_LT(run.ReadTrain().loss.back(), 0.5 * run.ReadTrain().loss.front());
  // An untrained model's cross-entropy is about 4.7 nats (ln of the ~100 pieces).
  EXPECT_LT(run.final_metrics().at("cross_entropy_caption_en"), 3.0);
  EXPECT_LT(run.final_metrics().at("cross_entropy_translate_de"), 3.0);

  // A grid whose feature_shape is not the corpus's: validate names the first sample.
  std::string wrong = text;
  wrong.replace(wrong.find("[16, 48]"), 8, "[16, 64]");
  std::ofstream(root_ / "wrong.yaml") << wrong;
  const Result refused = Florenz("validate " + (root_ / "wrong.yaml").string());
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.output, HasSubstr("has features [16, 48]"));
}

TEST_F(ShardsRunE2eTest, ABadLabelIsBadInputUnlessSkippedAndThenCounted) {
  const fs::path grid = Grid(640, "", /*own_copy=*/true);
  // One more shard member: a caption with an empty text.
  const std::string shard = (root_ / "shards" / "train-000002.tar").string();
  {
    const data::TarReader reader(shard);
    data::TarWriter writer(shard + ".new");
    for (const auto& m : data::ListTarMembers(shard))
      writer.Add(m.name, reader.Read(m.offset, m.size));
    writer.Add("99999999-caption_en.json", R"({"task": "caption", "lang": "en", "text": ""})");
    writer.Add("99999999-caption_en.png", reader.Read(data::ListTarMembers(shard)[1].offset,
                                                      data::ListTarMembers(shard)[1].size));
    writer.Close();
  }
  fs::rename(shard + ".new", shard);
  const Result refused = Florenz("run " + grid.string() + " --out " + (root_ / "stop").string());
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("train-000002.tar:99999999-caption_en"));
  EXPECT_THAT(refused.output, HasSubstr("text"));

  std::string text = e2e::ReadBytes(grid);
  text.replace(text.find("  languages:"), 0, "  on_bad_sample: skip\n");
  std::ofstream(root_ / "skip.yaml") << text;
  const Result skipped =
      Florenz("run " + (root_ / "skip.yaml").string() + " --out " + (root_ / "skip").string());
  ASSERT_EQ(skipped.code, 0) << skipped.output;
  EXPECT_EQ(OnlyRun(root_ / "skip").numbers().at("bad_samples_indexed"), 1);
}

// A corpus on storage florenz cannot write (a read-only mount: a shared dataset on a cluster)
// trains: its index and token caches go to the results folder's cache/, and nothing is written
// beside the shards. Root only (a read-only bind mount).
TEST_F(ShardsRunE2eTest, AReadOnlyCorpusTrainsWithItsCachesInTheResultsFolder) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount the corpus read-only";
  const fs::path grid = Grid(640, "", /*own_copy=*/true);
  const fs::path shards = root_ / "shards";
  const auto listing = [&] {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(shards)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> before = listing();
  ASSERT_EQ(mount(shards.c_str(), shards.c_str(), nullptr, MS_BIND, nullptr), 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount(path.c_str()); }
  } unmount{shards.string()};
  ASSERT_EQ(mount(nullptr, shards.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr), 0);
  ASSERT_FALSE(std::ofstream(shards / "probe").is_open());  // really read-only
  ASSERT_EQ(errno, EROFS);

  const fs::path out = root_ / "out";
  const Result r = Florenz("run " + grid.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(listing(), before);
  int indexes = 0, token_caches = 0;
  for (const auto& entry : fs::directory_iterator(out / "cache")) {
    const std::string name = entry.path().filename();
    indexes += name.rfind("index-", 0) == 0;
    token_caches += name.rfind("tokens-", 0) == 0;
  }
  EXPECT_EQ(indexes, 2);  // train and eval
  EXPECT_EQ(token_caches, 2);
  EXPECT_EQ(OnlyRun(out).status(), RunStatus::kCompleted);
}

// The real corpus of tests/data/corpus (twelve photographs, captions in English and German,
// translations into Spanish, French, Russian and Chinese) packed by GNU tar: a tokenizer, an
// index, a run that learns it, and every pair scored, Chinese BLEU through the zh tokenizer.
TEST_F(ShardsRunE2eTest, ARealCorpusOfPhotographsInSixLanguagesTrainsAndIsScored) {
  const fs::path corpus = fs::path(FLORENZ_SOURCE_DIR) / "tests" / "data" / "corpus";
  const fs::path shard = root_ / "photos-000000.tar";
  const Result packed = RunShell("cd '" + corpus.string() +
                                 "' && ls *.json *.jpg | LC_ALL=C sort | tar --format=gnu -cf '" +
                                 shard.string() + "' -T -");
  ASSERT_EQ(packed.code, 0) << packed.output;
  const Result inspect = Florenz("data inspect " + shard.string());
  ASSERT_EQ(inspect.code, 0) << inspect.output;
  EXPECT_THAT(inspect.output, HasSubstr("translate_zh"));
  const Result tokenizer = Florenz("data tokenizer " + shard.string() + " --vocab 400 --out " +
                                   (root_ / "tok.model").string());
  ASSERT_EQ(tokenizer.code, 0) << tokenizer.output;
  const fs::path grid = root_ / "photos.yaml";
  std::ofstream(grid) << "experiment: {name: photos}\n"
                         "data:\n"
                         "  source: shards\n"
                         "  train: '"
                      << shard.string() << "'\n  eval: '" << shard.string() << "'\n  tokenizer: '"
                      << (root_ / "tok.model").string()
                      << "'\n"
                         "  image: pixels\n"
                         "  image_size: 32\n"
                         "  max_caption_tokens: 40\n"
                         "  languages: [en, de, es, fr, ru, zh]\n"
                         "  coverage:\n"
                         "    caption: {en: train, de: train}\n"
                         "    translate: {es: train, fr: train, ru: train, zh: train}\n"
                         "model:\n"
                         "  patch_size: 8\n"
                         "  vocab_size: 512\n"
                         "  sizes: [{name: tiny, d_model: 64, layers: 2, heads: 4, ffn: 128}]\n"
                         "training:\n"
                         "  budgets: [4800]\n"
                         "  batch_size: 24\n"
                         "  log_interval: 10\n"
                         "  optimizer: {learning_rate: 0.003}\n"
                         "evaluation:\n"
                         "  samples_per_pair: 12\n"
                         "  metrics: [cross_entropy, bleu, language_accuracy]\n"
                         "execution: {threads: 1}\n";
  const Result validate = Florenz("validate " + grid.string());
  ASSERT_EQ(validate.code, 0) << validate.output;
  const Result run = Florenz("run " + grid.string() + " --out " + (root_ / "out").string());
  ASSERT_EQ(run.code, 0) << run.output;
  const RunFileReader file = OnlyRun(root_ / "out");
  const auto loss = file.ReadTrain().loss;
  EXPECT_LT(loss.back(), 0.25 * loss.front());
  const auto metrics = file.final_metrics();
  for (const char* pair : {"caption_en", "caption_de", "translate_es", "translate_fr",
                           "translate_ru", "translate_zh"}) {
    EXPECT_EQ(metrics.count(std::string("bleu_") + pair), 1u) << pair;
    EXPECT_EQ(metrics.count(std::string("language_accuracy_") + pair), 1u) << pair;
  }
  // Learned by heart: a Chinese translation scored character by character (zh tokenizer; 13a
  // would see each unspaced sentence as one word) and the captions' languages identified.
  EXPECT_GT(metrics.at("bleu_translate_zh"), 20) << "zh BLEU";
  EXPECT_GT(metrics.at("seen_caption_language_accuracy"), 0.5);
  EXPECT_EQ(file.numbers().at("epochs_seen"), 4800.0 / 72);
}

}  // namespace
}  // namespace florenz
