// bench/shard_read_bench: a corpus sample to the model's input on one core — the training
// stream's indexed random access (the run's seeded permutation), the .npy features read and
// converted from float16, and the texts' token ids from the token cache
// (ShardSource::TrainExample, exactly what a training rank calls; labels come from the index, so
// no JSON is read) — against the floor of reading the same image members' bytes by pread alone,
// side by side. Tokenization itself runs once per corpus, before training, in
// florenz-tokenizer (SentencePiece cannot share a process with LibTorch): its rate is the third
// row, SentencePiece encoding every text and source of the corpus.
// Target (issue 17): >= 20,000 samples/s of indexed reading + features + tokenization on one core.
// Figures: docs/performance.md.
//
// Usage: bench_shard_read [--samples N] [--tokens T] [--dim D] [--positions P] [--all-images 1]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/npy_features.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/shard_source.h"
#include "workers/data/shards/tar_file.h"
#include "workers/data/shards/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace florenz::data;

// Captions from a small lexicon: real-looking word statistics for SentencePiece.
std::string Sentence(std::mt19937_64& rng, const char* const* words, int n) {
  std::string text;
  const int length = 8 + static_cast<int>(rng() % 10);
  for (int i = 0; i < length; ++i) text += (i ? " " : "") + std::string(words[rng() % n]);
  return text;
}

// `samples` samples in 4 shards: captions in English with features and translations into German
// without an image, alternating (or every one a caption with features, in English and German,
// `all_images`).
std::string WriteCorpus(const fs::path& dir, int64_t samples, int tokens, int dim,
                        bool all_images) {
  static const char* const kEn[] = {"a",    "the",   "small",  "red",    "dog",   "runs",
                                    "on",   "grass", "two",    "people", "stand", "near",
                                    "blue", "car",   "street", "white",  "house", "with",
                                    "tree", "sky",   "over",   "water"};
  static const char* const kDe[] = {"ein",    "der",    "kleiner", "roter",  "Hund",   "läuft",
                                    "auf",    "Gras",   "zwei",    "Leute",  "stehen", "neben",
                                    "blaues", "Auto",   "Straße",  "weißes", "Haus",   "mit",
                                    "Baum",   "Himmel", "über"};
  std::mt19937_64 rng(7);
  FeatureArray features;
  features.tokens = tokens;
  features.dim = dim;
  features.values.resize(static_cast<size_t>(tokens) * dim);
  const int64_t per_shard = (samples + 3) / 4;
  for (int shard = 0; shard < 4; ++shard) {
    TarWriter writer((dir / ("train-00000" + std::to_string(shard) + ".tar")).string());
    for (int64_t i = shard * per_shard; i < std::min(samples, (shard + 1) * per_shard); ++i) {
      char key[16];
      std::snprintf(key, sizeof(key), "%09lld", static_cast<long long>(i));
      SampleLabel label;
      if (all_images || i % 2 == 0) {
        label.task = florenz::Task::kCaption;
        label.lang = i % 2 == 0 ? "en" : "de";
        label.text = i % 2 == 0 ? Sentence(rng, kEn, 22) : Sentence(rng, kDe, 21);
        for (auto& v : features.values) v = static_cast<float>(rng() % 1000) / 1000.0f;
        writer.Add(std::string(key) + ".npy", WriteNpyFeatures(features, /*float16=*/true));
      } else {
        label.task = florenz::Task::kTranslate;
        label.src_lang = "en";
        label.src_text = Sentence(rng, kEn, 22);
        label.lang = "de";
        label.text = Sentence(rng, kDe, 21);
      }
      writer.Add(std::string(key) + ".json", SampleLabelJson(label));
    }
    writer.Close();
  }
  return (dir / "train-{000000..000003}.tar").string();
}

double Rate(int64_t n, double seconds) { return static_cast<double>(n) / seconds; }

}  // namespace

int main(int argc, char** argv) {
  int64_t samples = 8000, positions = 20000;
  int tokens = 49, dim = 256;
  bool all_images = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--samples")) samples = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dim")) dim = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--positions")) positions = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--all-images")) all_images = std::stoi(argv[i + 1]) != 0;
  }
  const fs::path dir = fs::temp_directory_path() / "florenz_bench_shard_read";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string pattern = WriteCorpus(dir, samples, tokens, dim, all_images);
  const ShardIndex index = IndexShards(pattern);
  TokenizerOptions options;
  options.vocab_size = 200;
  TrainTokenizer(index, (dir / "tok.model").string(), options);
  const Tokenizer tokenizer = Tokenizer::Load((dir / "tok.model").string());
  TokenCache cache;
  const double encode_seconds =
      florenz::bench::MedianSeconds(3, [&] { cache = EncodeCorpus(index, tokenizer); });
  WriteTokenCache(TokenCachePath(index, tokenizer.hash(), (dir / "cache").string()), cache);

  const std::string grid =
      "experiment: {name: bench}\n"
      "data:\n"
      "  source: shards\n"
      "  train: '" +
      pattern +
      "'\n"
      "  eval: '" +
      pattern +
      "'\n"
      "  tokenizer: '" +
      (dir / "tok.model").string() +
      "'\n"
      "  cache_dir: '" +
      (dir / "cache").string() +
      "'\n"
      "  image: features\n"
      "  feature_shape: [" +
      std::to_string(tokens) + ", " + std::to_string(dim) +
      "]\n"
      "  languages: [en, de]\n"
      "  coverage: {caption: {en: train, de: train}, translate: {de: train}}\n"
      "model: {sizes: [xs]}\n"
      "training: {budgets: [1k]}\n";
  const florenz::LoadedGrid loaded =
      florenz::LoadGridFromString(grid, "bench.yaml", florenz::data::CheckDataSpec);
  const ShardSource source(loaded.spec);

  // The floor: the same members' bytes by pread, in the same order, nothing parsed.
  std::vector<std::unique_ptr<TarReader>> readers;
  for (const auto& shard : index.shards) readers.push_back(std::make_unique<TarReader>(shard));
  int64_t checksum = 0, offset = 0;
  const double pread_seconds = florenz::bench::MedianSeconds(5, [&] {
    for (int64_t i = 0; i < positions; ++i) {
      const IndexedSample& s = index.samples[source.TrainSampleAt(1, offset + i)];
      if (s.image != ImageKind::kNone) {
        checksum +=
            static_cast<int64_t>(readers[s.shard]->Read(s.image_offset, s.image_size).size());
      }
    }
  });
  const double example_seconds = florenz::bench::MedianSeconds(5, [&] {
    for (int64_t i = 0; i < positions; ++i) {
      const Example e = source.TrainExample(1, offset + i);
      checksum += static_cast<int64_t>(e.image.size() + e.prompt.size() + e.target.size());
    }
    offset += positions;  // the next round reads other positions (the next epochs)
  });
  std::printf(
      "shard_read: %lld samples (%s with [%d, %d] float16 features%s) in 4 shards, %lld "
      "positions per round, median of 5, one core\n",
      static_cast<long long>(samples), all_images ? "all captions" : "half captions", tokens, dim,
      all_images ? "" : ", half text-only translations", static_cast<long long>(positions));
  std::printf("  %-58s %10.0f samples/s\n", "pread of the image members' bytes (floor)",
              Rate(positions, pread_seconds));
  std::printf("  %-58s %10.0f samples/s\n",
              "ShardSource::TrainExample (index, features, token ids)",
              Rate(positions, example_seconds));
  std::printf("  %-58s %10.0f samples/s\n", "SentencePiece encoding of the corpus (once, before)",
              Rate(samples, encode_seconds));
  std::printf("checksum %lld\n", static_cast<long long>(checksum));
  fs::remove_all(dir);
  return 0;
}
