// The token cache of a corpus (token_cache.h).
#include "workers/data/shards/token_cache.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "core/hash.h"
#include "experiments/results_dir.h"

namespace florenz::data {
namespace {

constexpr char kMagic[] = "FLZTOKS1";
constexpr int32_t kEos = 2;  // florenz's ids: <pad> 0, <s> 1, </s> 2, <unk> 3

template <class T>
void Put(std::string* out, const T& value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <class T>
void PutArray(std::string* out, const std::vector<T>& values) {
  out->append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

class Cursor {
 public:
  Cursor(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  void Need(uint64_t n) const {
    if (n > bytes_.size() - at_) throw IoError(path_ + ": token cache is cut short");
  }
  template <class T>
  T Get() {
    Need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string Text(uint64_t n) {
    Need(n);
    std::string text = bytes_.substr(at_, n);
    at_ += n;
    return text;
  }
  template <class T>
  std::vector<T> Array(uint64_t n) {
    if (n > (bytes_.size() - at_) / sizeof(T)) throw IoError(path_ + ": token cache is cut short");
    std::vector<T> values(n);
    std::memcpy(values.data(), bytes_.data() + at_, n * sizeof(T));
    at_ += n * sizeof(T);
    return values;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  const std::string& path_;
  uint64_t at_ = 0;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

std::string LanguageSymbol(const std::string& language) { return "<lang_" + language + ">"; }

std::vector<int32_t> TokenCache::Text(int64_t sample) const {
  return {ids.begin() + static_cast<int64_t>(text_begin[sample]),
          ids.begin() + static_cast<int64_t>(text_begin[sample + 1])};
}

std::vector<int32_t> TokenCache::Source(int64_t sample) const {
  return {ids.begin() + static_cast<int64_t>(src_begin[sample]),
          ids.begin() + static_cast<int64_t>(src_begin[sample + 1])};
}

int32_t TokenCache::PieceId(const std::string& piece) const {
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i] == piece) return static_cast<int32_t>(i);
  }
  return -1;
}

std::string TokenCache::Decode(const std::vector<int32_t>& token_ids) const {
  static const std::string kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space
  std::string text;
  for (const int32_t id : token_ids) {
    if (id == kEos) break;
    if (id < 0 || id >= static_cast<int32_t>(pieces.size())) continue;
    if (types[id] == PieceType::kControl) continue;
    if (types[id] == PieceType::kUnknown) {
      text += " \xE2\x81\x87 ";
      continue;
    }
    const std::string& piece = pieces[id];
    for (size_t at = 0; at < piece.size();) {
      if (piece.compare(at, kSpace.size(), kSpace) == 0) {
        text += ' ';
        at += kSpace.size();
      } else {
        text += piece[at++];
      }
    }
  }
  if (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

std::string TokenizerFileHash(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw ConfigError(SourceLocation{path, 0, 0}, "no such tokenizer model");
  }
  return Hex16(Fnv1a64(ReadAll(path)));
}

std::string TokenCachePath(const ShardIndex& index, const std::string& tokenizer_hash,
                           const std::string& cache_dir) {
  return (std::filesystem::path(cache_dir) / ("tokens-" + index.key + "-" + tokenizer_hash + ".bin"))
      .string();
}

void WriteTokenCache(const std::string& path, const TokenCache& cache) {
  std::string out(kMagic, 8);
  std::string key = cache.index_key, hash = cache.tokenizer_hash;
  key.resize(16, ' ');
  hash.resize(16, ' ');
  out += key + hash;
  Put<uint64_t>(&out, cache.samples());
  Put<uint64_t>(&out, cache.pieces.size());
  Put<uint64_t>(&out, cache.ids.size());
  for (size_t i = 0; i < cache.pieces.size(); ++i) {
    Put<uint8_t>(&out, static_cast<uint8_t>(cache.types[i]));
    Put<uint32_t>(&out, static_cast<uint32_t>(cache.pieces[i].size()));
    out += cache.pieces[i];
  }
  PutArray(&out, cache.text_begin);
  PutArray(&out, cache.src_begin);
  PutArray(&out, cache.ids);
  std::error_code ignored;  // a folder that cannot be made fails the write below
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  WriteFileAtomically(path, out);
}

TokenCache ReadTokenCache(const std::string& path) {
  const std::string bytes = ReadAll(path);
  if (bytes.empty()) throw IoError(path + ": no token cache");
  Cursor in(bytes, path);
  if (in.Text(8) != std::string(kMagic, 8)) throw IoError(path + ": not a florenz token cache");
  TokenCache cache;
  cache.index_key = in.Text(16);
  cache.tokenizer_hash = in.Text(16);
  const uint64_t samples = in.Get<uint64_t>(), pieces = in.Get<uint64_t>(),
                 ids = in.Get<uint64_t>();
  in.Need(pieces * 5);
  for (uint64_t i = 0; i < pieces; ++i) {
    const uint8_t type = in.Get<uint8_t>();
    if (type > 2) throw IoError(path + ": token cache has an unknown piece type");
    cache.types.push_back(static_cast<PieceType>(type));
    cache.pieces.push_back(in.Text(in.Get<uint32_t>()));
  }
  cache.text_begin = in.Array<uint64_t>(samples + 1);
  cache.src_begin = in.Array<uint64_t>(samples + 1);
  cache.ids = in.Array<int32_t>(ids);
  if (!in.done()) throw IoError(path + ": token cache has bytes after its ids");
  for (uint64_t i = 0; i < samples; ++i) {
    if (cache.text_begin[i] > cache.text_begin[i + 1] ||
        cache.src_begin[i] > cache.src_begin[i + 1] || cache.text_begin[i + 1] > ids ||
        cache.src_begin[i + 1] > ids) {
      throw IoError(path + ": token cache offsets out of order");
    }
  }
  return cache;
}

}  // namespace florenz::data
