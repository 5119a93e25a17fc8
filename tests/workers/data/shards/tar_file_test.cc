// Tar members and their bytes, against archives written by GNU tar (ustar, GNU long names, pax)
// and read back by GNU tar from TarWriter; shards cut short or corrupted are ConfigErrors that
// name the shard (and the member, where there is one), as are declared sizes that could take
// memory before anything checks them: a pax or long-name header over 1 MiB, a size that wraps.
#include "workers/data/shards/tar_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "tests/workers/data/shards/shards_test_util.h"

namespace florenz::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::Shell;
using testing::WriteText;

std::map<std::string, std::string> ReadAll(const std::string& shard) {
  std::map<std::string, std::string> files;
  const TarReader reader(shard);
  for (const TarMember& m : ListTarMembers(shard)) files[m.name] = reader.Read(m.offset, m.size);
  return files;
}

class TarFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ShardsTestFolder();
    WriteText(dir_ / "src" / "000001.json", R"({"task": "caption", "lang": "en", "text": "a"})");
    WriteText(dir_ / "src" / "000001.png",
              std::string("\x89PNG\r\n\x1a\n", 8) + std::string(700, 'x'));
    WriteText(dir_ / "src" / "empty.txt", "");
    long_name_ = "sub/" + std::string(120, 'k') + ".json";
    WriteText(dir_ / "src" / long_name_, "{}");
  }
  std::map<std::string, std::string> Expected() const {
    return {{"000001.json", R"({"task": "caption", "lang": "en", "text": "a"})"},
            {"000001.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(700, 'x')},
            {"empty.txt", ""},
            {long_name_, "{}"}};
  }
  fs::path dir_;
  std::string long_name_;
};

TEST_F(TarFileTest, ReadsGnuTarInEveryFormatItWrites) {
  for (const char* format : {"gnu", "pax", "ustar"}) {
    const std::string shard = (dir_ / (std::string(format) + ".tar")).string();
    const std::string files =
        std::string(format) == "ustar"
            ? "000001.json 000001.png empty.txt"
            : "000001.json 000001.png empty.txt sub/" + std::string(120, 'k') + ".json";
    ASSERT_EQ(
        Shell(dir_ / "src", std::string("tar --format=") + format + " -cf " + shard + " " + files),
        0)
        << format;
    std::map<std::string, std::string> expected = Expected();
    if (std::string(format) == "ustar") expected.erase(long_name_);  // ustar cannot hold it
    const auto read = ReadAll(shard);
    for (const auto& [name, bytes] : expected) {
      ASSERT_TRUE(read.count(name)) << format << ": " << name;
      EXPECT_EQ(read.at(name), bytes) << format << ": " << name;
    }
    for (const auto& [name, bytes] : read) EXPECT_TRUE(expected.count(name)) << name;
  }
}

TEST_F(TarFileTest, GnuTarReadsWhatTarWriterWrites) {
  const std::string shard = (dir_ / "written.tar").string();
  {
    TarWriter writer(shard);
    for (const auto& [name, bytes] : Expected()) writer.Add(name, bytes);
    writer.Close();
  }
  EXPECT_EQ(ReadAll(shard), Expected());
  ASSERT_EQ(Shell(dir_, "mkdir out && tar -xf " + shard + " -C out"), 0);
  for (const auto& [name, bytes] : Expected()) {
    std::ifstream in(dir_ / "out" / name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, bytes) << name;
  }
  // Deterministic: the same members give the same bytes.
  {
    TarWriter again((dir_ / "again.tar").string());
    for (const auto& [name, bytes] : Expected()) again.Add(name, bytes);
  }
  EXPECT_EQ(Shell(dir_, "cmp written.tar again.tar"), 0);
}

TEST_F(TarFileTest, AShardCutShortNamesTheShardAndTheMember) {
  const std::string shard = (dir_ / "cut.tar").string();
  ASSERT_EQ(Shell(dir_ / "src", "tar -cf " + shard + " 000001.json 000001.png"), 0);
  fs::resize_file(shard, 512 + 512 + 512 + 300);  // inside 000001.png's contents
  EXPECT_THAT([&] { ListTarMembers(shard); },
              ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                  HasSubstr(shard + ":000001.png: the member runs past the end of the shard"),
                  HasSubstr("cut short"))));
}

TEST_F(TarFileTest, ACorruptHeaderOrACompressedShardIsRefused) {
  const std::string shard = (dir_ / "corrupt.tar").string();
  ASSERT_EQ(Shell(dir_ / "src", "tar -cf " + shard + " 000001.json 000001.png"), 0);
  {
    std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1024 + 3);  // inside the second member's name
    f.put('#');
  }
  EXPECT_THAT([&] { ListTarMembers(shard); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr(shard + ": not a readable tar: a header checksum does not match at "
                                    "byte 1024")));
  ASSERT_EQ(Shell(dir_ / "src", "tar -czf " + (dir_ / "zipped.tar").string() + " 000001.json"), 0);
  EXPECT_THAT(
      [&] { ListTarMembers((dir_ / "zipped.tar").string()); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr("compressed? florenz reads plain .tar")));
  WriteText(dir_ / "empty.tar", "");
  EXPECT_THROW(ListTarMembers((dir_ / "empty.tar").string()), ConfigError);
  EXPECT_THROW(ListTarMembers((dir_ / "missing.tar").string()), IoError);
}

// A tar header block for `name` of `size` bytes and type `type`; base-256 size when `base256`.
std::string RawHeader(const std::string& name, uint64_t size, char type, bool base256 = false) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 7, "0000644");
  if (base256) {
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  } else {
    char octal[12];
    std::snprintf(octal, sizeof(octal), "%011llo", static_cast<unsigned long long>(size));
    h.replace(124, 11, octal);
  }
  h[156] = type;
  h.replace(257, 5, "ustar");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (const char c : h) sum += static_cast<unsigned char>(c);
  char checksum[8];
  std::snprintf(checksum, sizeof(checksum), "%06o", sum);
  h.replace(148, 7, std::string(checksum, 7));
  return h;
}

TEST_F(TarFileTest, AHugePaxOrLongNameHeaderIsRefusedBeforeItIsRead) {
  for (const char type : {'x', 'L'}) {
    const std::string shard = (dir_ / (std::string("pax-") + type + ".tar")).string();
    const uint64_t declared = (uint64_t{1} << 20) + 1;
    WriteText(shard, RawHeader("././@PaxHeader", declared, type) +
                         std::string((declared + 511) / 512 * 512, 'p') +
                         RawHeader("000001.json", 2, '0') + "{}" + std::string(510, '\0') +
                         std::string(1024, '\0'));
    EXPECT_THAT(
        [&] { ListTarMembers(shard); },
        ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
            HasSubstr(shard + ": not a readable tar"),
            HasSubstr("header of 1048577 bytes (florenz reads at most 1048576) at byte 0"))))
        << type;
  }
  // A pax header within the limit still names its member.
  const std::string shard = (dir_ / "pax-ok.tar").string();
  const std::string records = "33 path=" + std::string(19, 'n') + ".json\n";  // 33 bytes
  WriteText(shard, RawHeader("././@PaxHeader", records.size(), 'x') + records +
                       std::string(512 - records.size(), '\0') + RawHeader("x.json", 2, '0') +
                       "{}" + std::string(510, '\0'));
  const auto members = ListTarMembers(shard);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, std::string(19, 'n') + ".json");
}

TEST_F(TarFileTest, ADeclaredSizeThatWrapsRunsPastTheEnd) {
  const std::string shard = (dir_ / "wrap.tar").string();
  // 2^64 - 512: contents + size wraps to the header's own offset.
  WriteText(shard,
            RawHeader("././@PaxHeader", ~uint64_t{511}, 'x', true) + std::string(1536, '\0'));
  EXPECT_THAT([&] { ListTarMembers(shard); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr("the member runs past the end of the shard (18446744073709551104 "
                            "bytes at byte 512 of a 2048-byte file)")));
}

}  // namespace
}  // namespace florenz::data
