// The token ids of a corpus, computed once by the tokenizer process and read by every training
// rank: SentencePiece cannot be loaded beside LibTorch (tokenizer.h), so `florenz-tokenizer
// encode` writes, in the cache folder (data.cache_dir, shard_index.h), tokens-<index key>-
// <tokenizer hash>.bin with
// every indexed sample's text and source-text ids and the model's piece table, from which a
// worker detokenizes generated outputs without SentencePiece. A cache is named by what it was
// computed from: another tokenizer or rewritten shards get another file.
//
// Layout (little-endian): "FLZTOKS1", the index key and the tokenizer hash (16 bytes each),
// uint64 samples N, pieces V, ids M; V × (uint8 type, uint32 length, bytes); uint64
// text_begin[N+1], src_begin[N+1] (offsets into the ids); int32 ids[M].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/data/shards/shard_index.h"

namespace florenz::data {

// What a piece is when detokenizing: text, a control symbol (<pad>, <s>, </s>, <lang_xx>,
// <caption>, <translate>: no text), or <unk>.
enum class PieceType : uint8_t { kNormal = 0, kControl = 1, kUnknown = 2 };

struct TokenCache {
  std::string index_key;       // ShardIndex::key of the samples
  std::string tokenizer_hash;  // the SentencePiece model's hash (TokenizerFileHash)
  std::vector<std::string> pieces;
  std::vector<PieceType> types;
  std::vector<uint64_t> text_begin, src_begin;  // N + 1 each
  std::vector<int32_t> ids;

  int64_t samples() const { return text_begin.empty() ? 0 : int64_t(text_begin.size()) - 1; }
  std::vector<int32_t> Text(int64_t sample) const;
  std::vector<int32_t> Source(int64_t sample) const;  // empty for a caption
  // The id of piece `piece` ("<lang_de>"); -1 when the model has none.
  int32_t PieceId(const std::string& piece) const;
  // Text of `ids`: pieces joined, SentencePiece's "▁" as spaces, the leading space dropped;
  // stops at </s>, control symbols give nothing, <unk> gives " ⁇ " (SentencePiece's surface).
  std::string Decode(const std::vector<int32_t>& ids) const;
};

// "<lang_de>": the prompt token of a language.
std::string LanguageSymbol(const std::string& language);

// The hash of a tokenizer model file's bytes (16 hex digits), as Tokenizer::hash(). Throws
// ConfigError naming the file when it cannot be read.
std::string TokenizerFileHash(const std::string& path);

// Where the cache of `index` under the tokenizer with `tokenizer_hash` lives in `cache_dir`.
std::string TokenCachePath(const ShardIndex& index, const std::string& tokenizer_hash,
                           const std::string& cache_dir);

// Writes `cache` atomically. Throws IoError.
void WriteTokenCache(const std::string& path, const TokenCache& cache);
// Reads a cache. Throws IoError when it is missing, cut short or not a token cache.
TokenCache ReadTokenCache(const std::string& path);

}  // namespace florenz::data
