// Writes never follow links: for every kind of file the results store creates or replaces
// (experiment.yaml, run locks, run snapshots and finished run files, results.h5/results.csv,
// any atomically written file, temporaries), a symbolic link planted at its name to a victim
// file is an IoError naming the path, and the victim's bytes stay exactly as they were.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/errors.h"
#include "experiments/collect.h"
#include "experiments/durable_write.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "experiments/run_lock.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kVictimBytes[] = "the victim's own bytes\n";

std::string Read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LinkSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("florenz_link_safety_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    victim_ = root_ / "victim.txt";
    std::ofstream(victim_) << kVictimBytes;
    out_ = root_ / "out";
    ResultsDir(out_).Create();
  }
  void TearDown() override { fs::remove_all(root_); }

  // Plants a link at `name` to the victim.
  void Plant(const fs::path& name) {
    fs::create_directories(name.parent_path());
    fs::create_symlink(victim_, name);
  }
  // The victim is untouched and the link is still there (never replaced either).
  void ExpectUntouched(const fs::path& link) {
    EXPECT_EQ(Read(victim_), kVictimBytes);
    EXPECT_TRUE(fs::is_symlink(link)) << link;
  }
  // `fn` throws an IoError whose message names `path` and says it is a link.
  template <typename Fn>
  void ExpectRefused(const fs::path& path, Fn fn) {
    try {
      fn();
      ADD_FAILURE() << "expected an IoError for " << path;
    } catch (const IoError& e) {
      EXPECT_THAT(e.what(), HasSubstr(path.string())) << e.what();
      EXPECT_THAT(e.what(), HasSubstr("symbolic link")) << e.what();
    }
  }

  fs::path root_, victim_, out_;
};

TEST_F(LinkSafetyTest, ExperimentYaml) {
  const ResultsDir dir(out_);
  Plant(dir.ExperimentYaml());
  ExpectRefused(dir.ExperimentYaml(), [&] { dir.WriteExperimentYaml("experiment: {}\n"); });
  ExpectUntouched(dir.ExperimentYaml());
}

TEST_F(LinkSafetyTest, RunLock) {
  const ResultsDir dir(out_);
  Plant(dir.LockFile("r1"));
  ExpectRefused(dir.LockFile("r1"), [&] { RunLock::TryAcquire(dir, "r1", nullptr); });
  ExpectUntouched(dir.LockFile("r1"));
  EXPECT_EQ(RunLock::Holder(dir, "r1"), "");  // status does not read through it either
}

// A hard link to someone's file at a lock's name is refused too (the holder text would land in
// it); the victim here is ours, so the link can be made.
TEST_F(LinkSafetyTest, RunLockHardLink) {
  const ResultsDir dir(out_);
  fs::create_hard_link(victim_, dir.LockFile("r1"));
  try {
    RunLock::TryAcquire(dir, "r1", nullptr);
    ADD_FAILURE() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir.LockFile("r1").string()));
    EXPECT_THAT(e.what(), HasSubstr("hard links"));
  }
  EXPECT_EQ(Read(victim_), kVictimBytes);
}

TEST_F(LinkSafetyTest, RunFilePartialAndFinished) {
  const ResultsDir dir(out_);
  RunConfig config;
  config.run_id = "r1";
  config.spec_yaml = "experiment: {name: t}\n";
  Plant(dir.PartialFile("r1"));
  ExpectRefused(dir.PartialFile("r1"), [&] { RunFileWriter::Create(dir, config, {}); });
  ExpectUntouched(dir.PartialFile("r1"));
  fs::remove(dir.PartialFile("r1"));

  // Planted while the run is being written: the commit refuses to replace it.
  RunFileWriter writer = RunFileWriter::Create(dir, config, {});
  Plant(dir.RunFile("r1"));
  ExpectRefused(dir.RunFile("r1"), [&] { writer.Finish(RunStatus::kCompleted, "", {}); });
  ExpectUntouched(dir.RunFile("r1"));
  fs::remove(dir.PartialFile("r1"));
  Plant(dir.PartialFile("r1"));
  writer.AppendTrain(TrainRecord{1, 64, 2.5, 1e-3, 1.0, 0.1});
  ExpectRefused(dir.PartialFile("r1"), [&] { writer.Flush(); });
  ExpectUntouched(dir.PartialFile("r1"));
  for (const auto& entry : fs::directory_iterator(dir.RunsDir())) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(LinkSafetyTest, ResultsTables) {
  const ResultsDir dir(out_);
  Plant(dir.ResultsH5());
  ExpectRefused(dir.ResultsH5(), [&] { CollectResults(out_); });
  ExpectUntouched(dir.ResultsH5());
  fs::remove(dir.ResultsH5());
  Plant(dir.ResultsCsv());
  ExpectRefused(dir.ResultsCsv(), [&] { CollectResults(out_); });
  ExpectUntouched(dir.ResultsCsv());
  EXPECT_FALSE(fs::exists(dir.ResultsH5()));
}

TEST_F(LinkSafetyTest, AtomicallyWrittenFiles) {
  const fs::path file = out_ / "report" / "index.html";
  Plant(file);
  ExpectRefused(file, [&] { WriteFileAtomically(file, "<html>"); });
  ExpectUntouched(file);
  ExpectRefused(file, [&] { CopyFileAtomically(victim_, file); });
  ExpectUntouched(file);
}

// Temporaries get names nobody can plant in advance, are created with O_EXCL | O_NOFOLLOW,
// and leftovers (links included) are removed without touching what they point to.
TEST_F(LinkSafetyTest, Temporaries) {
  const fs::path target = out_ / "results.csv";
  AtomicFile a(target), b(target);
  EXPECT_NE(a.temporary(), b.temporary());
  EXPECT_EQ(a.temporary().parent_path(), out_);
  EXPECT_THAT(a.temporary().filename().string(), ::testing::EndsWith(".results.csv.tmp"));
  // Creating at a taken name fails instead of following what is there.
  const fs::path planted = out_ / ".1-0123456789abcdef.results.csv.tmp";
  fs::create_symlink(victim_, planted);
  EXPECT_LT(::open(planted.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644), 0);
  fs::create_symlink(victim_, TemporaryFile(target));     // the fixed name of earlier versions
  RemoveStaleTemporaries(target, std::chrono::hours(1));  // links go whatever their age
  EXPECT_FALSE(fs::is_symlink(planted));
  EXPECT_FALSE(fs::is_symlink(TemporaryFile(target)));
  EXPECT_TRUE(fs::exists(a.temporary())) << "removed only when old enough; a and b are new";
  EXPECT_EQ(Read(victim_), kVictimBytes);
  a.Write("run_id,status,reason\n");
  a.Commit();
  EXPECT_EQ(Read(target), "run_id,status,reason\n");
}

}  // namespace
}  // namespace florenz
