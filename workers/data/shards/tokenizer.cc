// SentencePiece training and the tokenizer (tokenizer.h).
#include "workers/data/shards/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/errors.h"
#include "core/hash.h"
#include "experiments/results_dir.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/tar_file.h"
#include "workers/data/shards/token_cache.h"

namespace florenz::data {
namespace {

std::string Fnv1aHex(const std::string& bytes) { return Hex16(Fnv1a64(bytes)); }

// The corpus's texts, read from the shards one sample at a time, for SentencePiece.
class CorpusSentences : public sentencepiece::SentenceIterator {
 public:
  CorpusSentences(const ShardIndex& index, int64_t limit) : index_(index), limit_(limit) {
    for (const std::string& shard : index.shards)
      readers_.push_back(std::make_unique<TarReader>(shard));
    Fill();
  }
  bool done() const override { return pending_.empty(); }
  void Next() override {
    pending_.erase(pending_.begin());
    ++count_;
    if (pending_.empty()) Fill();
  }
  const std::string& value() const override { return pending_.front(); }
  sentencepiece::util::Status status() const override { return {}; }
  int64_t count() const { return count_; }

 private:
  void Fill() {
    while (pending_.empty() && sample_ < index_.samples.size() && count_ < limit_) {
      const IndexedSample& s = index_.samples[sample_++];
      const TarReader& reader = *readers_[s.shard];
      const SampleLabel label =
          ParseSampleLabel(reader.Read(s.json_offset, s.json_size), reader.path() + ":" + s.key);
      pending_.push_back(label.text);
      if (label.task == Task::kTranslate) pending_.push_back(label.src_text);
    }
  }
  const ShardIndex& index_;
  int64_t limit_;
  std::vector<std::unique_ptr<TarReader>> readers_;
  size_t sample_ = 0;
  std::vector<std::string> pending_;
  int64_t count_ = 0;
};

}  // namespace

TokenizerSummary TrainTokenizer(const ShardIndex& index, const std::string& out,
                                const TokenizerOptions& options) {
  std::set<std::string> languages;
  for (const IndexedSample& s : index.samples) {
    languages.insert(s.lang);
    if (!s.src_lang.empty()) languages.insert(s.src_lang);
  }
  std::string symbols = "<caption>,<translate>";
  for (const std::string& language : languages) symbols += "," + LanguageSymbol(language);
  const std::unordered_map<std::string, std::string> args = {
      {"vocab_size", std::to_string(options.vocab_size)},
      {"model_type", options.model_type},
      {"control_symbols", symbols},  // never produced from text (user symbols would be)
      {"pad_id", "0"},               // florenz's special ids (workers/data/vocabulary.h)
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"unk_id", "3"},
      {"character_coverage", "0.9995"},  // SentencePiece's advice for CJK
      {"input_sentence_size", std::to_string(options.max_sentences)},
      {"shuffle_input_sentence", "false"},  // the corpus's order: deterministic
      {"hard_vocab_limit", "false"},        // a small corpus gets the vocabulary it can have
      {"num_threads", "1"},
      {"minloglevel", "2"},
  };
  CorpusSentences sentences(index, options.max_sentences);
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &sentences, &model);
  if (!status.ok()) throw std::runtime_error("SentencePiece training failed: " + status.ToString());
  WriteFileAtomically(out, model);
  TokenizerSummary summary;
  summary.sentences = sentences.count();
  summary.languages.assign(languages.begin(), languages.end());
  summary.hash = Fnv1aHex(model);
  summary.vocab_size = Tokenizer::Load(out).size();
  return summary;
}

Tokenizer::Tokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{path, 0, 0}, "no such tokenizer model");
  std::stringstream bytes;
  bytes << in.rdbuf();
  Tokenizer tokenizer;
  const auto status = tokenizer.processor_->LoadFromSerializedProto(bytes.str());
  if (!status.ok()) {
    throw ConfigError(SourceLocation{path, 0, 0},
                      "not a SentencePiece model: " + status.ToString());
  }
  tokenizer.caption_ = tokenizer.processor_->PieceToId("<caption>");
  tokenizer.translate_ = tokenizer.processor_->PieceToId("<translate>");
  if (tokenizer.caption_ == kUnk || tokenizer.translate_ == kUnk) {
    throw ConfigError(SourceLocation{path, 0, 0},
                      "a SentencePiece model without florenz's <caption> and <translate> "
                      "symbols (train one with `florenz data tokenizer`)");
  }
  tokenizer.hash_ = Fnv1aHex(bytes.str());
  return tokenizer;
}

std::vector<int32_t> Tokenizer::Encode(const std::string& text) const {
  const std::vector<int> ids = processor_->EncodeAsIds(text);
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  return processor_->DecodeIds(std::vector<int>(ids.begin(), ids.end()));
}

int32_t Tokenizer::LanguageToken(const std::string& language) const {
  const int id = processor_->PieceToId(LanguageSymbol(language));
  return id == kUnk ? -1 : id;
}

int Tokenizer::size() const { return processor_->GetPieceSize(); }

}  // namespace florenz::data

namespace florenz::data {

TokenCache EncodeCorpus(const ShardIndex& index, const Tokenizer& tokenizer) {
  TokenCache cache;
  cache.index_key = index.key;
  cache.tokenizer_hash = tokenizer.hash();
  tokenizer.PieceTable(&cache.pieces, &cache.types);
  std::vector<std::unique_ptr<TarReader>> readers;
  for (const std::string& shard : index.shards)
    readers.push_back(std::make_unique<TarReader>(shard));
  cache.text_begin.push_back(0);
  cache.src_begin.push_back(0);
  std::vector<int32_t> sources;
  for (const IndexedSample& s : index.samples) {
    const TarReader& reader = *readers[s.shard];
    const SampleLabel label =
        ParseSampleLabel(reader.Read(s.json_offset, s.json_size), reader.path() + ":" + s.key);
    const std::vector<int32_t> text = tokenizer.Encode(label.text);
    cache.ids.insert(cache.ids.end(), text.begin(), text.end());
    cache.text_begin.push_back(cache.ids.size());
    const std::vector<int32_t> source =
        label.task == Task::kTranslate ? tokenizer.Encode(label.src_text) : std::vector<int32_t>{};
    sources.insert(sources.end(), source.begin(), source.end());
    cache.src_begin.push_back(sources.size());
  }
  // Sources after the texts: their offsets move by the texts' length.
  const uint64_t texts = cache.ids.size();
  for (auto& begin : cache.src_begin) begin += texts;
  cache.ids.insert(cache.ids.end(), sources.begin(), sources.end());
  return cache;
}

void Tokenizer::PieceTable(std::vector<std::string>* pieces, std::vector<PieceType>* types) const {
  pieces->clear();
  types->clear();
  for (int id = 0; id < size(); ++id) {
    pieces->push_back(processor_->IdToPiece(id));
    types->push_back(processor_->IsUnknown(id)   ? PieceType::kUnknown
                     : processor_->IsControl(id) ? PieceType::kControl
                                                 : PieceType::kNormal);
  }
}

}  // namespace florenz::data
