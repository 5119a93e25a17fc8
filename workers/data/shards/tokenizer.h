// The text side of a corpus: a SentencePiece model trained on the train shards' texts
// (`florenz data tokenizer`), with the prompt's tokens — <lang_xx> for every language of the
// corpus, <caption> and <translate> — as SentencePiece control symbols: each is one piece, and
// no text produces it (a user symbol would be matched inside texts: a caption that says
// "<caption>" would forge the prompt). Ids 0-3 are <pad>, <bos>, <eos> and <unk>, as in florenz's
// own vocabulary (workers/data/vocabulary.h), so batches pad and start alike. A model is named
// by the hash of its bytes, which every run records so that it never resumes with another.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workers/data/shards/shard_index.h"
#include "workers/data/shards/token_cache.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace florenz::data {

struct TokenizerOptions {
  int vocab_size = 8000;
  // Texts read for training, at most (captions, translations and their sources, in index
  // order). SentencePiece keeps them in memory.
  int64_t max_sentences = 2000000;
  // "unigram" (SentencePiece's default, the paper's tokenizers) or "bpe".
  std::string model_type = "unigram";
};

struct TokenizerSummary {
  int vocab_size = 0;
  int64_t sentences = 0;               // texts trained on
  std::vector<std::string> languages;  // whose <lang_xx> symbols the model has
  std::string hash;                    // of the model file's bytes (16 hex digits)
};

// Trains a model on the texts of `index` and writes it to `out` (atomically). Deterministic: the
// same corpus and options give the same bytes. Throws ConfigError "SHARD:KEY: …" for a JSON
// that no longer parses, IoError when `out` cannot be written, std::runtime_error with
// SentencePiece's message when training fails (e.g. a vocabulary larger than the texts allow).
TokenizerSummary TrainTokenizer(const ShardIndex& index, const std::string& out,
                                const TokenizerOptions& options);

class Tokenizer {
 public:
  // Loads the model at `path`. Throws ConfigError naming the file when it is not a
  // SentencePiece model florenz trained (no <caption> symbol).
  static Tokenizer Load(const std::string& path);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  static constexpr int32_t kPad = 0, kBos = 1, kEos = 2, kUnk = 3;
  std::vector<int32_t> Encode(const std::string& text) const;
  std::string Decode(const std::vector<int32_t>& ids) const;
  // The <lang_xx> piece; -1 when the model has none for `language`.
  int32_t LanguageToken(const std::string& language) const;
  int32_t CaptionToken() const { return caption_; }
  int32_t TranslateToken() const { return translate_; }
  int size() const;
  const std::string& hash() const { return hash_; }
  // Every piece's text and type, by id (the token cache's piece table).
  void PieceTable(std::vector<std::string>* pieces, std::vector<PieceType>* types) const;

 private:
  Tokenizer();
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  int32_t caption_ = -1, translate_ = -1;
  std::string hash_;
};

// The token cache of `index` (token_cache.h): every sample's text and source ids in index order,
// and the piece table. Throws ConfigError "SHARD:KEY: …" for a JSON that no longer parses.
TokenCache EncodeCorpus(const ShardIndex& index, const Tokenizer& tokenizer);

}  // namespace florenz::data
