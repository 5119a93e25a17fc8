// The index of a WebDataset corpus: every sample of every shard with the byte ranges of its JSON
// and image members and its (task, language) label, so that a run reads any sample by random
// access, in an order that is a function of its seed and step alone. Built by one pass over the
// shards (headers and JSON members only; images are not read) and cached in a folder florenz
// owns (data.cache_dir; by default the results folder's cache/ for a run, the user's cache
// folder for the data commands; never beside the shards unless pointed there) as
// index-<key>.tsv, where the key hashes every shard's path, size, modification and
// status-change times, inode and first and last 4 KiB: a shard edited in place gets a new key
// even where its size and modification time are restored, since its status-change time cannot
// be (the kernel sets it on every write).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/data_options.h"
#include "experiments/spec_enums.h"

namespace florenz::data {

// The image member of a sample: none (a translation without its image), pixels, or
// precomputed image features ([tokens, dim] float16/float32 .npy).
enum class ImageKind : uint8_t { kNone, kJpeg, kPng, kFeatures };
// "none", "jpg", "png", "npy".
const char* ToString(ImageKind kind);

struct IndexedSample {
  uint32_t shard = 0;  // index into ShardIndex::shards
  std::string key;     // WebDataset's key: the member name up to the first '.' of its basename
  uint64_t json_offset = 0, json_size = 0;
  ImageKind image = ImageKind::kNone;
  uint64_t image_offset = 0, image_size = 0;
  Task task = Task::kCaption;
  std::string lang;              // target language
  std::string src_lang;          // translate only
  std::string PairName() const;  // "caption_de", "translate_zh"
};

// A sample left out under `skip_bad` (or a part of a shard that could not be read), and why.
struct SkippedSample {
  std::string where;  // SHARD:KEY
  std::string reason;
};

struct ShardIndex {
  std::vector<std::string> shards;
  std::vector<IndexedSample> samples;  // shard order, then member order
  std::vector<SkippedSample> skipped;
  std::string key;  // the cache key (16 hex digits)

  // Samples per pair name ("caption_de"), sorted by name.
  std::map<std::string, int64_t> PairCounts() const;
};

struct ShardIndexOptions {
  // Skip (and record) bad samples instead of stopping at the first (data.on_bad_sample: skip).
  bool skip_bad = false;
  // The folder to read and write the cached index in (created when missing); "" neither reads
  // nor writes one. The cache is only ever a copy of what a fresh pass would give.
  std::string cache_dir;
  // The largest .json member (data.max_text_bytes) and the pixel limit that bounds image and
  // .npy members (data.max_image_pixels, see ImageMemberLimit): a larger member is a bad sample,
  // refused from its tar header, never read. A cached index is held to them too.
  int64_t max_text_bytes = kDefaultMaxTextBytes;
  int64_t max_image_pixels = kDefaultMaxImagePixels;
};

// The most bytes an image (or .npy) member may have under `max_image_pixels`: 9 bytes a pixel
// (an uncompressed 16-bit RGBA PNG's 8, and its row filters) and 1 MiB of headers.
uint64_t ImageMemberLimit(int64_t max_image_pixels);

// The index of the shards `pattern` names (shard_pattern.h). Throws ConfigError naming the
// pattern when a shard does not exist, and "SHARD:KEY: reason" for the first bad sample unless
// options.skip_bad: a member that is not a regular sample part, a JSON that does not parse or
// lacks a field (sample_label.h), a sample without JSON, a caption without an image, two images
// or two JSONs under one key, a .json or image member over the options' limits. `cache_note`, when
// given, says whether the cache was used.
ShardIndex IndexShards(const std::string& pattern, const ShardIndexOptions& options = {},
                       std::string* cache_note = nullptr);

// The cache file `IndexShards` reads and writes for these shards in `cache_dir`.
std::string ShardIndexCachePath(const std::vector<std::string>& shards,
                                const std::string& cache_dir);

// The user's cache folder for florenz, where the data commands and `validate` keep indexes when
// no data.cache_dir says otherwise: $XDG_CACHE_HOME/florenz, else $HOME/.cache/florenz; "" when
// neither variable is set (nothing is cached then).
std::string UserCacheDir();

}  // namespace florenz::data
