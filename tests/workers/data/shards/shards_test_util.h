// Helpers of the shards tests: a fresh folder per test, a file's bytes, a shell command's exit
// code, and a tiny grid whose synthetic data is exported as a corpus.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace florenz::testing {

inline std::filesystem::path ShardsTestFolder() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() /
      (std::string("florenz_shards_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

inline void WriteText(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// `command` run by the shell in `dir`; its exit status.
inline int Shell(const std::filesystem::path& dir, const std::string& command) {
  return std::system(("cd '" + dir.string() + "' && " + command + " >/dev/null 2>&1").c_str());
}

// Two languages, captioning English trained and German evaluation-only, translation into
// German trained.
inline constexpr char kShardsGrid[] =
    "experiment: {name: shards}\n"
    "data:\n"
    "  image: rendered\n"
    "  image_size: 16\n"
    "  languages: [en, de]\n"
    "  coverage:\n"
    "    caption: {en: train, de: eval}\n"
    "    translate: {de: train}\n"
    "model: {sizes: [xs]}\n"
    "training: {budgets: [1k]}\n";

}  // namespace florenz::testing
