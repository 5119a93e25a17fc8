// Indexing a WebDataset corpus (shard_index.h): tar headers give each member's bytes; members
// with one key form a sample; the JSON member gives its label. The cache is a TSV file written
// atomically; a cache that does not parse is ignored and rebuilt.
#include "workers/data/shards/shard_index.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "core/hash.h"
#include "core/strings.h"
#include "experiments/results_dir.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/shard_pattern.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

namespace fs = std::filesystem;

constexpr char kCacheHeader[] = "florenz-shard-index 1";

// The key of a member name: up to the first '.' of its basename; the rest is its extension.
void SplitMemberName(const std::string& name, std::string* key, std::string* extension) {
  const size_t slash = name.rfind('/');
  const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  *key = name.substr(0, dot);
  *extension = dot == std::string::npos ? "" : name.substr(dot + 1);
}

ImageKind ImageKindOf(const std::string& extension) {
  if (extension == "jpg" || extension == "jpeg") return ImageKind::kJpeg;
  if (extension == "png") return ImageKind::kPng;
  if (extension == "npy") return ImageKind::kFeatures;
  return ImageKind::kNone;
}

// Refuses a sample whose .json or image member is larger than the options allow; `where` is
// SHARD:KEY. Member sizes come from the tar headers: nothing has been read.
void CheckMemberSizes(uint64_t json_size, ImageKind image, uint64_t image_size,
                      const ShardIndexOptions& options, const std::string& where) {
  if (json_size > static_cast<uint64_t>(options.max_text_bytes)) {
    throw ConfigError(SourceLocation{where, 0, 0},
                      "the .json member is " + std::to_string(json_size) +
                          " bytes, more than data.max_text_bytes (" +
                          std::to_string(options.max_text_bytes) + "): not read");
  }
  const uint64_t image_limit = ImageMemberLimit(options.max_image_pixels);
  if (image != ImageKind::kNone && image_size > image_limit) {
    throw ConfigError(SourceLocation{where, 0, 0},
                      std::string("the .") + ToString(image) + " member is " +
                          std::to_string(image_size) + " bytes, more than an image of " +
                          "data.max_image_pixels (" + std::to_string(options.max_image_pixels) +
                          ") can take (" + std::to_string(image_limit) + "): not read");
  }
}

// The members of one key, gathered while walking a shard.
struct PendingSample {
  std::string key;
  const TarMember* json = nullptr;
  const TarMember* image = nullptr;
  ImageKind kind = ImageKind::kNone;
  std::string problem;  // the first thing wrong with it
};

class Indexer {
 public:
  Indexer(ShardIndex* index, const ShardIndexOptions& options) : index_(index), options_(options) {}

  void IndexShard(uint32_t shard_number) {
    const std::string& shard = index_->shards[shard_number];
    std::vector<TarMember> members;
    try {
      members = ListTarMembers(shard);
    } catch (const ConfigError& e) {
      if (!options_.skip_bad) throw;
      index_->skipped.push_back({shard, std::string(e.what()) + "; the shard's samples skipped"});
      return;
    }
    const TarReader reader(shard);
    PendingSample pending;
    for (const TarMember& member : members) {
      std::string key, extension;
      SplitMemberName(member.name, &key, &extension);
      if (key != pending.key) {
        Finish(reader, shard_number, pending);
        pending = PendingSample{key};
      }
      if (key.empty() || key.find_first_of("\t\n") != std::string::npos) {
        pending.problem =
            "a member name without a key, or with a tab or newline: '" + member.name + "'";
      } else if (extension == "json") {
        if (pending.json != nullptr) pending.problem = "two .json members";
        pending.json = &member;
      } else if (ImageKindOf(extension) != ImageKind::kNone) {
        if (pending.image != nullptr) pending.problem = "two image members (." + extension + ")";
        pending.image = &member;
        pending.kind = ImageKindOf(extension);
      }  // other extensions (.txt, .cls, …): not florenz's, ignored
    }
    Finish(reader, shard_number, pending);
  }

 private:
  void Finish(const TarReader& reader, uint32_t shard_number, const PendingSample& s) {
    if (s.key.empty() && s.json == nullptr && s.image == nullptr && s.problem.empty()) return;
    const std::string where = index_->shards[shard_number] + ":" + s.key;
    try {
      if (!s.problem.empty()) throw ConfigError(SourceLocation{where, 0, 0}, s.problem);
      if (s.json == nullptr) {
        throw ConfigError(SourceLocation{where, 0, 0}, "the sample has no .json member");
      }
      CheckMemberSizes(s.json->size, s.kind, s.image == nullptr ? 0 : s.image->size, options_,
                       where);
      const SampleLabel label = ParseSampleLabel(reader.Read(s.json->offset, s.json->size), where);
      if (label.task == Task::kCaption && s.image == nullptr) {
        throw ConfigError(SourceLocation{where, 0, 0},
                          "a caption sample without an image (.jpg, .png or .npy)");
      }
      IndexedSample sample;
      sample.shard = shard_number;
      sample.key = s.key;
      sample.json_offset = s.json->offset;
      sample.json_size = s.json->size;
      if (s.image != nullptr) {
        sample.image = s.kind;
        sample.image_offset = s.image->offset;
        sample.image_size = s.image->size;
      }
      sample.task = label.task;
      sample.lang = label.lang;
      sample.src_lang = label.src_lang;
      index_->samples.push_back(std::move(sample));
    } catch (const ConfigError& e) {
      if (!options_.skip_bad) throw;
      const std::string message = e.what();
      const std::string prefix = where + ": ";
      index_->skipped.push_back(
          {where, message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message});
    }
  }

  ShardIndex* index_;
  const ShardIndexOptions& options_;
};

std::string CacheKey(const std::vector<std::string>& shards) {
  uint64_t hash = kFnv1aBasis;
  for (const std::string& shard : shards) {
    struct stat info {};
    if (::stat(shard.c_str(), &info) != 0) {
      throw ConfigError(SourceLocation{shard, 0, 0}, "no such shard");
    }
    std::ostringstream identity;
    identity << shard << '\n'
             << info.st_size << '\n'
             << info.st_mtim.tv_sec << '.' << info.st_mtim.tv_nsec << '\n'
             << info.st_ctim.tv_sec << '.' << info.st_ctim.tv_nsec << '\n'
             << info.st_ino << '\n';
    hash = Fnv1a64(identity.str(), hash);
    std::ifstream in(shard, std::ios::binary);
    std::string head(4096, '\0'), tail(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    in.clear();
    in.seekg(std::max<std::streamoff>(0, static_cast<std::streamoff>(info.st_size) - 4096));
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    tail.resize(static_cast<size_t>(in.gcount()));
    hash = Fnv1a64(tail, Fnv1a64(head, hash));
  }
  return Hex16(hash);
}

std::string CacheText(const ShardIndex& index) {
  std::ostringstream out;
  out << kCacheHeader << '\t' << index.key << '\n';
  for (const std::string& shard : index.shards) out << "shard\t" << shard << '\n';
  for (const IndexedSample& s : index.samples) {
    out << "sample\t" << s.shard << '\t' << s.key << '\t' << s.json_offset << '\t' << s.json_size
        << '\t' << ToString(s.image) << '\t' << s.image_offset << '\t' << s.image_size << '\t'
        << ToString(s.task) << '\t' << s.lang << '\t' << s.src_lang << '\n';
  }
  for (const SkippedSample& s : index.skipped) {
    std::string reason = s.reason;
    for (char& c : reason) c = c == '\n' || c == '\t' ? ' ' : c;
    out << "skipped\t" << s.where << '\t' << reason << '\n';
  }
  return out.str();
}

bool ParseCache(const std::string& text, const std::string& key, ShardIndex* index) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != std::string(kCacheHeader) + "\t" + key) return false;
  ShardIndex parsed;
  parsed.key = key;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = Split(line, '\t');
    if (f.size() == 2 && f[0] == "shard") {
      parsed.shards.push_back(f[1]);
    } else if (f.size() == 11 && f[0] == "sample") {
      IndexedSample s;
      try {
        s.shard = static_cast<uint32_t>(std::stoul(f[1]));
        s.key = f[2];
        s.json_offset = std::stoull(f[3]);
        s.json_size = std::stoull(f[4]);
        s.image_offset = std::stoull(f[6]);
        s.image_size = std::stoull(f[7]);
      } catch (const std::exception&) {
        return false;
      }
      bool known = false;
      for (const ImageKind kind :
           {ImageKind::kNone, ImageKind::kJpeg, ImageKind::kPng, ImageKind::kFeatures}) {
        if (f[5] == ToString(kind)) s.image = kind, known = true;
      }
      if (!known || !FromString(f[8], &s.task) || s.shard >= parsed.shards.size()) return false;
      s.lang = f[9];
      s.src_lang = f[10];
      parsed.samples.push_back(std::move(s));
    } else if (f.size() == 3 && f[0] == "skipped") {
      parsed.skipped.push_back({f[1], f[2]});
    } else {
      return false;
    }
  }
  *index = std::move(parsed);
  return true;
}

// index-<key>.tsv in the cache folder.
std::string CachePath(const std::string& cache_dir, const std::string& key) {
  return (fs::path(cache_dir) / ("index-" + key + ".tsv")).string();
}

}  // namespace

uint64_t ImageMemberLimit(int64_t max_image_pixels) {
  return 9 * static_cast<uint64_t>(std::max<int64_t>(0, max_image_pixels)) + (uint64_t{1} << 20);
}

const char* ToString(ImageKind kind) {
  switch (kind) {
    case ImageKind::kNone:
      return "none";
    case ImageKind::kJpeg:
      return "jpg";
    case ImageKind::kPng:
      return "png";
    case ImageKind::kFeatures:
      return "npy";
  }
  return "?";
}

std::string IndexedSample::PairName() const { return ToString(task) + "_" + lang; }

std::map<std::string, int64_t> ShardIndex::PairCounts() const {
  std::map<std::string, int64_t> counts;
  for (const IndexedSample& s : samples) ++counts[s.PairName()];
  return counts;
}

std::string ShardIndexCachePath(const std::vector<std::string>& shards,
                                const std::string& cache_dir) {
  return CachePath(cache_dir, CacheKey(shards));
}

std::string UserCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return (fs::path(xdg) / "florenz").string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return (fs::path(home) / ".cache" / "florenz").string();
  return "";
}

ShardIndex IndexShards(const std::string& pattern, const ShardIndexOptions& options,
                       std::string* cache_note) {
  ShardIndex index;
  index.shards = ExpandShardPattern(pattern);
  index.key = CacheKey(index.shards);  // also: every shard exists
  const bool use_cache = !options.cache_dir.empty();
  const std::string cache = use_cache ? CachePath(options.cache_dir, index.key) : "";
  if (use_cache && !options.skip_bad) {
    std::ifstream in(cache, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    ShardIndex cached;
    if (in && ParseCache(text.str(), index.key, &cached) && cached.shards == index.shards &&
        cached.skipped.empty()) {
      // Written under other limits, perhaps: this pass's hold (the first sample over them
      // stops, as a fresh pass would).
      for (const IndexedSample& s : cached.samples) {
        CheckMemberSizes(s.json_size, s.image, s.image_size, options,
                         cached.shards[s.shard] + ":" + s.key);
      }
      if (cache_note != nullptr) *cache_note = "read the index from " + cache;
      return cached;
    }
  }
  Indexer indexer(&index, options);
  for (uint32_t s = 0; s < index.shards.size(); ++s) indexer.IndexShard(s);
  if (!use_cache || !index.skipped.empty()) {
    if (cache_note != nullptr) *cache_note = "indexed (not cached)";
    return index;
  }
  try {
    std::error_code ignored;  // a folder that cannot be made fails the write below
    fs::create_directories(options.cache_dir, ignored);
    WriteFileAtomically(cache, CacheText(index));
    if (cache_note != nullptr) *cache_note = "indexed; cached in " + cache;
  } catch (const IoError& e) {  // a cache folder that cannot be written: indexed again next time
    if (cache_note != nullptr) *cache_note = std::string("indexed; not cached: ") + e.what();
  }
  return index;
}

}  // namespace florenz::data
