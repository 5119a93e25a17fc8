// The index: a synthetic grid exported as shards indexes to exactly its samples (byte ranges
// that read back the JSON written), the cache is read back and renewed when a shard changes,
// and each bad-data case stops with SHARD:KEY or, with skip_bad, is skipped and counted —
// members over data.max_text_bytes or an image's byte limit included, refused from their tar
// headers (a cached index made under looser limits too).
#include "workers/data/shards/shard_index.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "tests/workers/data/shards/shards_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/synthetic_export.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

ShardIndexOptions NoCache() { return ShardIndexOptions{}; }  // cache_dir "": no cache

class ShardIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::ShardsTestFolder(); }
  // A shard with the given members, written by TarWriter.
  std::string Shard(const std::string& name,
                    const std::vector<std::pair<std::string, std::string>>& members) {
    const std::string path = (dir_ / name).string();
    TarWriter writer(path);
    for (const auto& [member, bytes] : members) writer.Add(member, bytes);
    writer.Close();
    return path;
  }
  fs::path dir_;
};

TEST_F(ShardIndexTest, AnExportedGridIndexesToItsSamples) {
  const LoadedGrid grid = LoadGridFromString(testing::kShardsGrid, "shards.yaml", CheckDataSpec);
  ExportOptions options;
  options.scenes = 25;
  options.scenes_per_shard = 10;
  const ExportSummary exported = ExportSyntheticShards(grid.spec, dir_.string(), options);
  ASSERT_EQ(exported.shards.size(), 3u);
  EXPECT_EQ(exported.samples, 75);  // 25 scenes × 3 pairs
  EXPECT_EQ(exported.pattern, (dir_ / "train-{000000..000002}.tar").string());

  const ShardIndex index = IndexShards(exported.pattern, NoCache());
  ASSERT_EQ(index.samples.size(), 75u);
  EXPECT_EQ(index.PairCounts(), (std::map<std::string, int64_t>{
                                    {"caption_de", 25}, {"caption_en", 25}, {"translate_de", 25}}));
  const IndexedSample& first = index.samples.front();
  EXPECT_EQ(first.shard, 0u);
  EXPECT_EQ(first.key, "00000000-" + first.PairName());
  EXPECT_EQ(first.image, ImageKind::kPng);
  const TarReader reader(index.shards[0]);
  const SampleLabel label = ParseSampleLabel(reader.Read(first.json_offset, first.json_size), "");
  EXPECT_EQ(label.lang, first.lang);
  EXPECT_EQ(reader.Read(first.image_offset, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const IndexedSample& last = index.samples.back();
  EXPECT_EQ(last.shard, 2u);
  EXPECT_EQ(last.key, "00000024-translate_de");
  EXPECT_EQ(last.src_lang, "en");
  // The export is a function of the grid: again, the same bytes.
  const ExportSummary again = ExportSyntheticShards(grid.spec, (dir_ / "again").string(), options);
  EXPECT_EQ(testing::Shell(dir_, "cmp train-000001.tar again/train-000001.tar"), 0);
}

TEST_F(ShardIndexTest, TheCacheIsReadBackFromItsOwnFolderAndRenewedWhenAShardChanges) {
  const std::string caption = R"({"task": "caption", "lang": "en", "text": "a red circle"})";
  const std::string shard = Shard("c-0.tar", {{"a.json", caption}, {"a.png", "png"}});
  ShardIndexOptions options;
  options.cache_dir = (dir_ / "cache" / "made-when-missing").string();
  std::string note;
  const ShardIndex built = IndexShards(shard, options, &note);
  const std::string cache = ShardIndexCachePath({shard}, options.cache_dir);
  EXPECT_THAT(note, HasSubstr("cached in " + cache));
  ASSERT_TRUE(fs::exists(cache));
  EXPECT_EQ(fs::path(cache).parent_path(), fs::path(options.cache_dir));
  // Nothing is written beside the shards.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_TRUE(entry.path().filename() == "c-0.tar" || entry.path().filename() == "cache")
        << entry.path();
  }
  const ShardIndex cached = IndexShards(shard, options, &note);
  EXPECT_THAT(note, HasSubstr("read the index from"));
  ASSERT_EQ(cached.samples.size(), 1u);
  EXPECT_EQ(cached.samples[0].key, "a");
  EXPECT_EQ(cached.samples[0].json_offset, built.samples[0].json_offset);
  EXPECT_EQ(cached.samples[0].image, ImageKind::kPng);
  Shard("c-0.tar", {{"a.json", caption}, {"a.png", "png"}, {"b.json", caption}, {"b.jpg", "j"}});
  const ShardIndex renewed = IndexShards(shard, options, &note);
  EXPECT_THAT(note, HasSubstr("cached in"));
  EXPECT_EQ(renewed.samples.size(), 2u);
  EXPECT_EQ(renewed.samples[1].image, ImageKind::kJpeg);
}

// A shard edited in place, its size and modification time restored (as `touch -r` or a
// careful tool would), is not served from the old cache: the kernel's status-change time,
// which no one can set back, is part of the key.
TEST_F(ShardIndexTest, AShardEditedInPlaceWithItsSizeAndMtimeRestoredIsIndexedAgain) {
  const std::string red = R"({"task": "caption", "lang": "en", "text": "a red circle"})";
  const std::string tan = R"({"task": "caption", "lang": "de", "text": "a tan circle"})";
  ASSERT_EQ(red.size(), tan.size());
  const std::string shard = Shard("e-0.tar", {{"a.json", red}, {"a.png", "png"}});
  ShardIndexOptions options;
  options.cache_dir = (dir_ / "cache").string();
  const ShardIndex before = IndexShards(shard, options);
  ASSERT_EQ(before.samples.at(0).lang, "en");
  struct stat original {};
  ASSERT_EQ(::stat(shard.c_str(), &original), 0);
  // Overwrite the JSON's bytes in place: same file, same size.
  std::ifstream in(shard, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = bytes.find(red);
  ASSERT_NE(at, std::string::npos);
  {
    std::fstream file(shard, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(at));
    file.write(tan.data(), static_cast<std::streamsize>(tan.size()));
  }
  const struct timespec times[2] = {original.st_atim, original.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, shard.c_str(), times, 0), 0);
  struct stat edited {};
  ASSERT_EQ(::stat(shard.c_str(), &edited), 0);
  ASSERT_EQ(edited.st_size, original.st_size);
  ASSERT_EQ(edited.st_mtim.tv_nsec, original.st_mtim.tv_nsec);
  ASSERT_EQ(edited.st_mtim.tv_sec, original.st_mtim.tv_sec);
  std::string note;
  const ShardIndex after = IndexShards(shard, options, &note);
  EXPECT_THAT(note, HasSubstr("cached in"));  // indexed afresh, not read back
  EXPECT_NE(after.key, before.key);
  EXPECT_EQ(after.samples.at(0).lang, "de");
}

TEST_F(ShardIndexTest, EveryBadSampleStopsWithShardAndKeyUnlessSkipped) {
  const std::string good = R"({"task": "caption", "lang": "en", "text": "a red circle"})";
  const std::string translate =
      R"({"task": "translate", "src_lang": "en", "lang": "de", "src_text": "a", "text": "ein"})";
  struct Case {
    std::vector<std::pair<std::string, std::string>> members;
    std::string where, why;
  };
  const Case cases[] = {
      {{{"k1.png", "png"}}, "k1", "has no .json member"},
      {{{"k2.json", good}}, "k2", "a caption sample without an image"},
      {{{"k3.json", "{\"task\": "}, {"k3.png", "png"}}, "k3", "does not parse"},
      {{{"k4.json", R"({"task": "caption", "lang": "en", "text": ""})"}, {"k4.png", "p"}},
       "k4",
       "\"text\" is empty"},
      {{{"k5.json", good}, {"k5.png", "p"}, {"k5.jpg", "j"}}, "k5", "two image members"},
      {{{"k6.json", R"({"task": "caption", "lang": "EN!", "text": "x"})"}, {"k6.png", "p"}},
       "k6",
       "not a language code"},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::vector<std::pair<std::string, std::string>> members = {{"ok.json", good},
                                                                {"ok.png", "png"}};
    members.insert(members.end(), c.members.begin(), c.members.end());
    members.push_back({"t.json", translate});  // a translation needs no image
    const std::string shard = Shard("bad-" + std::to_string(n++) + ".tar", members);
    EXPECT_THAT([&] { IndexShards(shard, NoCache()); },
                ::testing::ThrowsMessage<ConfigError>(
                    ::testing::AllOf(HasSubstr(shard + ":" + c.where + ": "), HasSubstr(c.why))))
        << c.where;
    ShardIndexOptions skip = NoCache();
    skip.skip_bad = true;
    const ShardIndex index = IndexShards(shard, skip);
    EXPECT_EQ(index.samples.size(), 2u) << c.where;  // ok and t
    ASSERT_EQ(index.skipped.size(), 1u) << c.where;
    EXPECT_EQ(index.skipped[0].where, shard + ":" + c.where);
    EXPECT_THAT(index.skipped[0].reason, HasSubstr(c.why));
  }
  // A shard cut short: the whole shard is skipped under skip_bad, named either way.
  const std::string cut = Shard("cut.tar", {{"ok.json", good}, {"ok.png", std::string(2000, 'p')}});
  fs::resize_file(cut, 2000);  // inside ok.png's contents (bytes 1536-3535)
  EXPECT_THAT(
      [&] { IndexShards(cut, NoCache()); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr(cut + ":ok.png: the member runs past")));
  ShardIndexOptions skip = NoCache();
  skip.skip_bad = true;
  EXPECT_EQ(IndexShards(cut, skip).skipped.size(), 1u);
  // A pattern naming a shard that does not exist.
  EXPECT_THAT([&] { IndexShards((dir_ / "none-{0..1}.tar").string(), NoCache()); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("none-0.tar: no such shard")));
}

TEST_F(ShardIndexTest, MembersOverTheLimitsAreBadSamplesRefusedFromTheirHeaders) {
  const std::string good = R"({"task": "caption", "lang": "en", "text": "a red circle"})";
  const std::string long_text =
      R"({"task": "caption", "lang": "en", "text": ")" + std::string(70000, 'w') + "\"}";
  const std::string shard = Shard("long.tar", {{"ok.json", good},
                                               {"ok.png", "png"},
                                               {"long.json", long_text},
                                               {"long.png", "png"},
                                               {"big.json", good},
                                               {"big.png", std::string(1100000, 'p')}});
  // The text: over the default 64 KiB.
  ShardIndexOptions options = NoCache();
  EXPECT_THAT([&] { IndexShards(shard, options); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr(
                  shard + ":long: the .json member is " + std::to_string(long_text.size()) +
                  " bytes, more than data.max_text_bytes (65536): not read")));
  // The image: 1,100,000 bytes, more than 9 × 1024 pixels + 1 MiB.
  options.max_text_bytes = 128 * 1024;
  options.max_image_pixels = 1024;
  EXPECT_THAT([&] { IndexShards(shard, options); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr(shard + ":big: the .png member is 1100000 bytes, more than an image of "
                                    "data.max_image_pixels (1024) can take (1057792): not read")));
  options.skip_bad = true;
  options.max_text_bytes = kDefaultMaxTextBytes;
  const ShardIndex skipped = IndexShards(shard, options);
  ASSERT_EQ(skipped.samples.size(), 1u);
  EXPECT_EQ(skipped.samples[0].key, "ok");
  ASSERT_EQ(skipped.skipped.size(), 2u);
  EXPECT_EQ(skipped.skipped[0].where, shard + ":long");
  EXPECT_THAT(skipped.skipped[0].reason, HasSubstr("data.max_text_bytes"));
  EXPECT_EQ(skipped.skipped[1].where, shard + ":big");
  // Within the limits: all three.
  EXPECT_EQ(IndexShards(shard, ShardIndexOptions{false, "", 128 * 1024, 10000}).samples.size(),
            3u);
}

TEST_F(ShardIndexTest, ACachedIndexIsHeldToThisPassLimits) {
  const std::string text =
      R"({"task": "caption", "lang": "en", "text": ")" + std::string(70000, 'w') + "\"}";
  const std::string shard = Shard("cached.tar", {{"a.json", text}, {"a.png", "png"}});
  ShardIndexOptions loose, strict;
  loose.max_text_bytes = 128 * 1024;
  loose.cache_dir = strict.cache_dir = (dir_ / "cache").string();
  std::string note;
  EXPECT_EQ(IndexShards(shard, loose, &note).samples.size(), 1u);
  EXPECT_THAT(note, HasSubstr("cached in"));
  EXPECT_THAT([&] { IndexShards(shard, strict); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr(shard + ":a: the .json member is 70045 bytes, more than "
                                    "data.max_text_bytes (65536)")));
  EXPECT_EQ(IndexShards(shard, loose, &note).samples.size(), 1u);
  EXPECT_THAT(note, HasSubstr("read the index from"));
}

}  // namespace
}  // namespace florenz::data
