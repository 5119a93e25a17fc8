// ResultsDir: paths of OUT/, the once-only experiment.yaml and the finished/unfinished listing
// of runs/.
#include "experiments/results_dir.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "core/errors.h"

namespace florenz {
namespace fs = std::filesystem;

namespace {

constexpr char kFinishedSuffix[] = ".h5";
constexpr char kPartialSuffix[] = ".h5.partial";

[[noreturn]] void ThrowErrno(const fs::path& path, const std::string& what) {
  throw IoError(path.string() + ": " + what + ": " + std::strerror(errno));
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ReadWholeFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) ThrowErrno(file, "cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) ThrowErrno(file, "read failed");
  return text.str();
}

}  // namespace

// ---- ResultsDir -------------------------------------------------------------------------------

ResultsDir::ResultsDir(fs::path root) : root_(std::move(root)) {}

fs::path ResultsDir::ExperimentYaml() const { return root_ / "experiment.yaml"; }
fs::path ResultsDir::RunsDir() const { return root_ / "runs"; }
fs::path ResultsDir::CheckpointDir(const std::string& run_id) const {
  return root_ / "checkpoints" / run_id;
}
fs::path ResultsDir::RunFile(const std::string& run_id) const {
  return RunsDir() / (run_id + kFinishedSuffix);
}
fs::path ResultsDir::PartialFile(const std::string& run_id) const {
  return RunsDir() / (run_id + kPartialSuffix);
}
fs::path ResultsDir::LockFile(const std::string& run_id) const {
  return root_ / "locks" / (run_id + ".lock");
}
fs::path ResultsDir::CheckpointFile(const std::string& run_id, const std::string& shard,
                                    bool previous_generation) const {
  return CheckpointDir(run_id) /
         ("checkpoint" + shard + (previous_generation ? ".previous.pt" : ".pt"));
}
fs::path ResultsDir::PreviousAttemptFile(const std::string& run_id) const {
  return CheckpointDir(run_id) / ("previous-attempt" + std::string(kPartialSuffix));
}
fs::path ResultsDir::AsideFile(const std::string& run_id, const std::string& why) const {
  for (int n = 1;; ++n) {
    fs::path file = RunsDir() / (run_id + kFinishedSuffix + ("." + why + "-" + std::to_string(n)));
    std::error_code error;
    if (!fs::exists(file, error)) return file;
  }
}
fs::path ResultsDir::ResultsH5() const { return root_ / "results.h5"; }
fs::path ResultsDir::ResultsCsv() const { return root_ / "results.csv"; }
fs::path ResultsDir::CollectLockFile() const { return root_ / "locks" / "collect.lock"; }
fs::path ResultsDir::ReportDir() const { return root_ / "report"; }
fs::path ResultsDir::SlurmDir() const { return root_ / "slurm"; }

fs::path ResultsDir::CacheDir() const { return root_ / "cache"; }

fs::path TemporaryFile(const fs::path& file) { return fs::path(file.string() + ".tmp"); }

void ResultsDir::Create() const {
  for (const fs::path& dir : {RunsDir(), root_ / "checkpoints", root_ / "locks"}) {
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) throw IoError(dir.string() + ": cannot create directory: " + error.message());
  }
}

void ResultsDir::WriteExperimentYaml(const std::string& text) const {
  const fs::path file = ExperimentYaml();
  RefuseNonRegularFile(file);
  std::error_code error;
  if (fs::exists(file, error)) {
    if (ReadWholeFile(file) == text) return;
    throw IoError(file.string() +
                  ": the directory holds a different experiment (its experiment.yaml differs "
                  "from the grid being run); use a new output directory or remove this one");
  }
  if (error) throw IoError(file.string() + ": cannot stat: " + error.message());
  WriteFileAtomically(file, text);
}

std::vector<ResultsDir::RunEntry> ResultsDir::ListRuns() const {
  const fs::path runs = RunsDir();
  std::error_code error;
  if (!fs::exists(runs, error)) {
    if (error) throw IoError(runs.string() + ": cannot stat: " + error.message());
    return {};
  }
  std::map<std::string, RunEntry> by_id;
  fs::directory_iterator it(runs, error);
  if (error) throw IoError(runs.string() + ": cannot list: " + error.message());
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) throw IoError(runs.string() + ": cannot list: " + error.message());
    const std::string name = it->path().filename().string();
    if (EndsWith(name, kFinishedSuffix)) {
      const std::string id = name.substr(0, name.size() - std::strlen(kFinishedSuffix));
      by_id[id] = RunEntry{id, it->path(), true};
    } else if (EndsWith(name, kPartialSuffix)) {
      const std::string id = name.substr(0, name.size() - std::strlen(kPartialSuffix));
      by_id.try_emplace(id, RunEntry{id, it->path(), false});  // A finished file wins.
    }
  }
  if (error) throw IoError(runs.string() + ": cannot list: " + error.message());
  std::vector<RunEntry> entries;
  entries.reserve(by_id.size());
  for (auto& [id, entry] : by_id) entries.push_back(std::move(entry));
  return entries;
}

bool ResultsDir::IsFinished(const std::string& run_id) const {
  std::error_code error;
  const bool finished = fs::exists(RunFile(run_id), error);
  if (error) throw IoError(RunFile(run_id).string() + ": cannot stat: " + error.message());
  return finished;
}

}  // namespace florenz
