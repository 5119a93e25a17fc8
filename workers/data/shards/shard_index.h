// The index of a WebDataset corpus: every sample of every shard with the byte ranges of its JSON
// and image members and its (task, language) label, so that a run reads any sample by random
// access, in an order that is a function of its seed and step alone. Built by one pass over the
// shards (headers and JSON members only; images are not read) and cached beside the first
// shard as .florenz-index-<key>.tsv, where the key hashes every shard's path, size,
// modification time and first and last 4 KiB: a shard rewritten in place gets a new index.
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
  // Read and write the cache beside the shards. The cache is only ever a copy of what a fresh
  // pass would give.
  bool use_cache = true;
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

// The cache file `IndexShards` reads and writes for these shards.
std::string ShardIndexCachePath(const std::vector<std::string>& shards);

}  // namespace florenz::data
