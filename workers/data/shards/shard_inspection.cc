// The corpus report (shard_inspection.h).
#include "workers/data/shards/shard_inspection.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

uint32_t BigEndian(const std::string& s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

// UTF-8 code points (a Chinese caption has no spaces: characters say more than words).
size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (const unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

struct Summary {
  std::vector<size_t> values;
  std::string Text() {
    if (values.empty()) return "-";
    std::sort(values.begin(), values.end());
    return std::to_string(values.front()) + " / " + std::to_string(values[values.size() / 2]) +
           " / " + std::to_string(values.back());
  }
};

}  // namespace

bool ImageShape(ImageKind kind, const std::string& head, int* first, int* second) {
  if (kind == ImageKind::kPng) {
    if (head.size() < 24 || head.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return false;
    *first = static_cast<int>(BigEndian(head, 16, 4));
    *second = static_cast<int>(BigEndian(head, 20, 4));
    return true;
  }
  if (kind == ImageKind::kJpeg) {
    if (head.size() < 4 || static_cast<unsigned char>(head[0]) != 0xFF ||
        static_cast<unsigned char>(head[1]) != 0xD8) {
      return false;
    }
    for (size_t at = 2; at + 9 < head.size();) {
      if (static_cast<unsigned char>(head[at]) != 0xFF) return false;
      const unsigned marker = static_cast<unsigned char>(head[at + 1]);
      const size_t length = BigEndian(head, at + 2, 2);
      const bool sof =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        *second = static_cast<int>(BigEndian(head, at + 5, 2));  // height
        *first = static_cast<int>(BigEndian(head, at + 7, 2));   // width
        return true;
      }
      at += 2 + length;
    }
    return false;
  }
  if (kind == ImageKind::kFeatures) {  // "\x93NUMPY", version, header length, dict text
    if (head.size() < 10 || head.compare(0, 6, "\x93NUMPY") != 0) return false;
    const size_t shape = head.find("'shape':");
    if (shape == std::string::npos) return false;
    // " (16, 768)": two numbers in 1..2^24 (ReadNpyFeatures' bounds), else not readable here.
    const char* p = head.c_str() + shape + 8;
    int64_t dims[2] = {0, 0};
    while (*p == ' ') ++p;
    if (*p++ != '(') return false;
    for (int d = 0; d < 2; ++d) {
      while (*p == ' ') ++p;
      if (*p < '0' || *p > '9') return false;
      while (*p >= '0' && *p <= '9') {
        dims[d] = dims[d] * 10 + (*p++ - '0');
        if (dims[d] > (int64_t{1} << 24)) return false;
      }
      while (*p == ' ') ++p;
      if (*p++ != (d == 0 ? ',' : ')')) return false;
    }
    if (dims[0] < 1 || dims[1] < 1) return false;
    *first = static_cast<int>(dims[0]);
    *second = static_cast<int>(dims[1]);
    return true;
  }
  return false;
}

std::string InspectShards(const ShardIndex& index, const ExperimentSpec* grid) {
  std::map<std::string, Summary> words, characters;
  std::map<std::string, int64_t> kinds;
  std::map<std::string, int64_t> shapes;  // "64x64 png", "[256, 768] npy"
  std::vector<std::unique_ptr<TarReader>> readers;
  for (const std::string& shard : index.shards)
    readers.push_back(std::make_unique<TarReader>(shard));
  for (const IndexedSample& s : index.samples) {
    const TarReader& reader = *readers[s.shard];
    const SampleLabel label =
        ParseSampleLabel(reader.Read(s.json_offset, s.json_size), reader.path() + ":" + s.key);
    const std::string pair = s.PairName();
    size_t count = 1;
    for (const char c : label.text) count += c == ' ';
    words[pair].values.push_back(count);
    characters[pair].values.push_back(CodePoints(label.text));
    ++kinds[ToString(s.image)];
    if (s.image != ImageKind::kNone) {
      int a = 0, b = 0;
      const std::string head = reader.Read(s.image_offset, std::min<uint64_t>(s.image_size, 65536));
      const bool known = ImageShape(s.image, head, &a, &b);
      ++shapes[!known ? std::string(ToString(s.image)) + " (size not readable from its first 64 KiB)"
               : s.image == ImageKind::kFeatures
                   ? "[" + std::to_string(a) + ", " + std::to_string(b) + "] npy features"
                   : std::to_string(a) + "x" + std::to_string(b) + " " + ToString(s.image)];
    }
  }
  std::ostringstream out;
  out << index.samples.size() << " samples in " << index.shards.size() << " shard(s)";
  if (!index.skipped.empty()) out << ", " << index.skipped.size() << " skipped";
  out << "\n\npair               samples   words min/median/max   characters min/median/max\n";
  for (const auto& [pair, count] : index.PairCounts()) {
    char line[160];
    std::snprintf(line, sizeof(line), "%-18s %8lld   %-22s %s\n", pair.c_str(),
                  static_cast<long long>(count), words[pair].Text().c_str(),
                  characters[pair].Text().c_str());
    out << line;
  }
  out << "\nimages:";
  for (const auto& [kind, count] : kinds) out << " " << count << " " << kind;
  out << "\n";
  for (const auto& [shape, count] : shapes) out << "  " << count << " x " << shape << "\n";
  if (grid != nullptr) {
    const auto counts = index.PairCounts();
    std::set<std::string> in_grid;
    out << "\ncoverage of grid '" << grid->experiment.name << "':\n";
    for (const auto& [task, languages] : grid->data.coverage) {
      for (const auto& [language, role] : languages) {
        const std::string pair = ToString(task) + "_" + language;
        in_grid.insert(pair);
        const auto it = counts.find(pair);
        const int64_t n = it == counts.end() ? 0 : it->second;
        char line[160];
        std::snprintf(line, sizeof(line), "  %-18s %-16s %8lld samples%s\n", pair.c_str(),
                      role == PairRole::kTrain ? "trained" : "evaluation-only",
                      static_cast<long long>(n),
                      n == 0 ? (role == PairRole::kTrain ? "   <- nothing to train on"
                                                         : "   <- nothing to evaluate on")
                             : "");
        out << line;
      }
    }
    for (const auto& [pair, n] : counts) {
      if (!in_grid.count(pair)) {
        out << "  " << pair << ": " << n << " samples the grid's coverage does not name (unused)\n";
      }
    }
  }
  for (const SkippedSample& s : index.skipped)
    out << "skipped " << s.where << ": " << s.reason << "\n";
  return out.str();
}

}  // namespace florenz::data
