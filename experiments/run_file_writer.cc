// RunFileWriter: buffers a run's rows in memory and publishes them as complete HDF5 snapshots
// (written to a fresh temporary florenz created under a unique name, then renamed), then commits
// the run by renaming the final snapshot to <run_id>.h5. No write ever follows a link. Why
// snapshots and not SWMR: see "Live reading" in docs/results-format.md.
#include "experiments/run_file_writer.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <system_error>

#include "core/errors.h"
#include "experiments/h5_handle.h"
#include "experiments/results_dir.h"

namespace florenz {
namespace fs = std::filesystem;

const char* ToString(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kUnfinished:
      return "unfinished";
  }
  return "unknown";
}

bool FromString(std::string_view text, RunStatus* status) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kUnfinished}) {
    if (text == ToString(s)) {
      *status = s;
      return true;
    }
  }
  return false;
}

namespace {

void CheckName(const std::string& what, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw std::invalid_argument("RunFileWriter: invalid " + what + " name '" + name +
                                "' (must be non-empty, without '/')");
  }
}

void CheckNames(const std::string& what, const std::vector<std::string>& names,
                const std::set<std::string>& reserved) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    CheckName(what, name);
    if (reserved.count(name) > 0) {
      throw std::invalid_argument("RunFileWriter: " + what + " name '" + name + "' is reserved");
    }
    if (!seen.insert(name).second) {
      throw std::invalid_argument("RunFileWriter: duplicate " + what + " name '" + name + "'");
    }
  }
}

void Validate(const RunConfig& config, const RunFileLayout& layout) {
  CheckName("run id", config.run_id);
  std::vector<std::string> attributes;
  for (const auto& [name, value] : config.numbers) attributes.push_back(name);
  for (const auto& [name, value] : config.strings) attributes.push_back(name);
  CheckNames("config attribute", attributes, {"run_id", "spec_yaml"});
  CheckNames("eval pair", layout.eval_pairs, {});
  CheckNames("eval metric", layout.eval_metrics, {"step", "samples"});
  CheckNames("final metric", layout.final_metrics, {});
}

void RemoveIfExists(const fs::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    throw IoError(file.string() + ": cannot remove: " + std::strerror(errno));
  }
}

}  // namespace

// The whole run, as it will be written.
struct RunFileWriter::State {
  fs::path runs_dir, partial_path, final_path;
  RunConfig config;
  RunFileLayout layout;

  struct TrainColumns {
    std::vector<int64_t> step, samples;
    std::vector<double> loss, lr, grad_norm, seconds;
  } train;
  struct EvalColumns {
    std::vector<int64_t> step, samples;
    std::vector<std::vector<double>> metrics;  // [metric][row], layout.eval_metrics order
  };
  std::map<std::string, EvalColumns> eval;  // by pair

  RunStatus status = RunStatus::kRunning;
  std::string reason;
  std::map<std::string, double> final_metrics;  // every layout final metric; NaN = not written

  bool dirty = true;  // Rows appended since the last published snapshot.
  bool finished = false;
};

RunFileWriter::RunFileWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
RunFileWriter::RunFileWriter(RunFileWriter&&) noexcept = default;
RunFileWriter& RunFileWriter::operator=(RunFileWriter&&) noexcept = default;
RunFileWriter::~RunFileWriter() = default;

RunFileWriter::State& RunFileWriter::state(const char* operation) {
  if (state_ == nullptr) {
    throw std::logic_error(std::string("RunFileWriter::") + operation + " on a moved-from writer");
  }
  if (state_->finished) {
    throw std::logic_error(std::string("RunFileWriter::") + operation + ": run " +
                           state_->config.run_id + " is already finished");
  }
  return *state_;
}

const fs::path& RunFileWriter::partial_path() const { return state_->partial_path; }
const fs::path& RunFileWriter::final_path() const { return state_->final_path; }
size_t RunFileWriter::train_rows() const { return state_->train.step.size(); }

RunFileWriter RunFileWriter::Create(const ResultsDir& results, const RunConfig& config,
                                    const RunFileLayout& layout) {
  Validate(config, layout);
  auto s = std::make_unique<State>();
  s->runs_dir = results.RunsDir();
  s->partial_path = results.PartialFile(config.run_id);
  s->final_path = results.RunFile(config.run_id);
  s->config = config;
  s->layout = layout;
  for (const std::string& pair : layout.eval_pairs) {
    s->eval[pair].metrics.resize(layout.eval_metrics.size());
  }
  for (const std::string& metric : layout.final_metrics) {
    s->final_metrics[metric] = std::numeric_limits<double>::quiet_NaN();
  }

  RefuseNonRegularFile(s->final_path);
  RefuseNonRegularFile(s->partial_path);
  std::error_code error;
  if (fs::exists(s->final_path, error)) {
    throw IoError(s->final_path.string() +
                  ": run is already finished; delete this file to run it again");
  }
  RemoveIfExists(s->partial_path);  // A killed writer's leftovers.
  // The caller holds the run's lock, so every temporary of this run is a dead writer's.
  RemoveStaleTemporaries(s->partial_path, std::chrono::seconds(0));
  RemoveStaleTemporaries(s->final_path, std::chrono::seconds(0));
  RunFileWriter writer(std::move(s));
  writer.Flush();
  return writer;
}

void RunFileWriter::AppendTrain(const TrainRecord& record) {
  State& s = state("AppendTrain");
  s.train.step.push_back(record.step);
  s.train.samples.push_back(record.samples);
  s.train.loss.push_back(record.loss);
  s.train.lr.push_back(record.lr);
  s.train.grad_norm.push_back(record.grad_norm);
  s.train.seconds.push_back(record.seconds);
  s.dirty = true;
}

void RunFileWriter::AppendEval(const std::string& pair, const EvalRecord& record) {
  State& s = state("AppendEval");
  auto it = s.eval.find(pair);
  if (it == s.eval.end()) {
    throw std::invalid_argument("RunFileWriter::AppendEval: run " + s.config.run_id +
                                " has no eval pair '" + pair + "' in its layout");
  }
  if (record.values.size() != s.layout.eval_metrics.size()) {
    throw std::invalid_argument(
        "RunFileWriter::AppendEval: " + std::to_string(record.values.size()) + " values for " +
        std::to_string(s.layout.eval_metrics.size()) + " eval metrics");
  }
  State::EvalColumns& columns = it->second;
  columns.step.push_back(record.step);
  columns.samples.push_back(record.samples);
  for (size_t m = 0; m < record.values.size(); ++m) columns.metrics[m].push_back(record.values[m]);
  s.dirty = true;
}

void RunFileWriter::Flush() {
  State& s = state("Flush");
  if (!s.dirty) return;
  Publish(s.partial_path, s, /*durable=*/false);  // a snapshot: the next one supersedes it
  s.dirty = false;
}

fs::path RunFileWriter::Finish(RunStatus status, const std::string& reason,
                               const std::map<std::string, double>& final_metrics) {
  State& s = state("Finish");
  if (status != RunStatus::kCompleted && status != RunStatus::kFailed) {
    throw std::invalid_argument(std::string("RunFileWriter::Finish: status must be completed or ") +
                                "failed, not " + ToString(status));
  }
  for (const auto& [name, value] : final_metrics) {
    if (s.final_metrics.count(name) == 0) {
      throw std::invalid_argument("RunFileWriter::Finish: '" + name +
                                  "' is not a final metric of run " + s.config.run_id);
    }
  }
  // Set /final for the commit; if the commit fails, later snapshots must not claim it.
  const RunStatus old_status = s.status;
  const std::string old_reason = s.reason;
  const std::map<std::string, double> old_final_metrics = s.final_metrics;
  s.status = status;
  s.reason = reason;
  for (const auto& [name, value] : final_metrics) s.final_metrics[name] = value;

  try {
    Publish(s.final_path, s, /*durable=*/true);  // The commit.
  } catch (...) {
    s.status = old_status;
    s.reason = old_reason;
    s.final_metrics = old_final_metrics;
    throw;
  }
  // Committed: the .h5 wins over a leftover .partial, so the cleanup is best effort and a
  // failure in it must not make the caller believe the run was not recorded.
  s.finished = true;
  try {
    RemoveIfExists(s.partial_path);
    SyncDirectory(s.runs_dir);
  } catch (const IoError& e) {
    std::fprintf(stderr, "florenz: warning: after committing %s: %s\n", s.final_path.c_str(),
                 e.what());
  }
  return s.final_path;
}

void RunFileWriter::Publish(const fs::path& target, const State& s, bool durable) {
  // A fresh temporary of this process's own (O_EXCL | O_NOFOLLOW, unique name), which HDF5
  // then truncates and writes by name; it must still be that file when it is published.
  AtomicFile file(target);
  file.Close(/*durable=*/false);
  WithFileContext(file.temporary(), [&] { WriteRunFile(file.temporary(), s); });
  file.CheckUnchanged();
  if (durable) SyncFile(file.temporary());
  file.Publish();
}

void RunFileWriter::WriteRunFile(const fs::path& temporary, const State& s) {
  H5Handle h5 = CreateFileTruncate(temporary);
  {
    WriteInt64Attribute(h5.get(), "florenz_run_format", kRunFileFormatVersion);

    H5Handle config = CreateGroup(h5.get(), "config");
    WriteStringAttribute(config.get(), "run_id", s.config.run_id);
    WriteStringAttribute(config.get(), "spec_yaml", s.config.spec_yaml);
    for (const auto& [name, value] : s.config.numbers) {
      WriteDoubleAttribute(config.get(), name, value);
    }
    for (const auto& [name, value] : s.config.strings) {
      WriteStringAttribute(config.get(), name, value);
    }

    H5Handle train = CreateGroup(h5.get(), "train");
    WriteInt64Column(train.get(), "step", s.train.step);
    WriteInt64Column(train.get(), "samples", s.train.samples);
    WriteDoubleColumn(train.get(), "loss", s.train.loss);
    WriteDoubleColumn(train.get(), "lr", s.train.lr);
    WriteDoubleColumn(train.get(), "grad_norm", s.train.grad_norm);
    WriteDoubleColumn(train.get(), "seconds", s.train.seconds);

    H5Handle eval = CreateGroup(h5.get(), "eval");
    for (const auto& [pair, columns] : s.eval) {
      H5Handle group = CreateGroup(eval.get(), pair);
      WriteInt64Column(group.get(), "step", columns.step);
      WriteInt64Column(group.get(), "samples", columns.samples);
      for (size_t m = 0; m < s.layout.eval_metrics.size(); ++m) {
        WriteDoubleColumn(group.get(), s.layout.eval_metrics[m], columns.metrics[m]);
      }
    }

    H5Handle final_group = CreateGroup(h5.get(), "final");
    WriteStringAttribute(final_group.get(), "status", ToString(s.status));
    WriteStringAttribute(final_group.get(), "reason", s.reason);
    for (const auto& [name, value] : s.final_metrics) {
      WriteDoubleScalar(final_group.get(), name, value);
    }
  }  // Every object is closed before the file (close degree "semi").
  h5.Close();
}

}  // namespace florenz
