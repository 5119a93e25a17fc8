// The status of a results folder's runs (job_status.h): reads the stored grid and every run
// file, decides each run's state, and formats the table. Only reads: ListRuns, RunFileReader
// and stat().
#include "orchestrator/job_status.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "core/errors.h"
#include "core/strings.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "experiments/run_lock.h"

namespace florenz {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Modification time in seconds since the epoch; NaN when the file is gone.
double ModifiedAt(const fs::path& file) {
  struct stat info;
  if (::stat(file.c_str(), &info) != 0) return kNaN;
  return static_cast<double>(info.st_mtim.tv_sec) + 1e-9 * info.st_mtim.tv_nsec;
}

// Fills progress, loss, rate and the longest logging gap from the run's /train rows. Rows of a
// resumed run start with the previous attempt's (copied up to its checkpoint), whose `seconds`
// restart at the resume: the current attempt is the tail over which `seconds` rises.
void ReadProgress(const RunFileReader& reader, RunStatusRow* row, double* longest_gap) {
  const RunFileReader::TrainSeries train = reader.ReadTrain();
  *longest_gap = 0;
  if (train.size() == 0) return;
  const size_t last = train.size() - 1;
  size_t first = last;
  while (first > 0 && train.seconds[first - 1] < train.seconds[first]) --first;
  row->samples = train.samples[last];
  row->loss = train.loss[last];
  if (last > first) {
    const double seconds = train.seconds[last] - train.seconds[first];
    if (seconds > 0) {
      row->samples_per_second =
          static_cast<double>(train.samples[last] - train.samples[first]) / seconds;
    }
  } else if (first == 0 && train.seconds[0] > 0) {
    row->samples_per_second = static_cast<double>(train.samples[0]) / train.seconds[0];
  }
  *longest_gap = train.seconds[first];
  for (size_t i = first + 1; i <= last; ++i) {
    *longest_gap = std::max(*longest_gap, train.seconds[i] - train.seconds[i - 1]);
  }
}

int64_t BudgetOf(const RunFileReader& reader) {
  const auto numbers = reader.numbers();
  const auto samples = numbers.find("samples");
  const auto batch = numbers.find("batch_size");
  if (samples == numbers.end()) return -1;
  const auto budget = static_cast<int64_t>(samples->second);
  if (batch == numbers.end() || batch->second < 1) return budget;
  const auto b = static_cast<int64_t>(batch->second);
  return std::max<int64_t>(1, budget / b) * b;  // the trainer runs whole batches
}

RunStatusRow ReadRun(const ResultsDir& results, const ResultsDir::RunEntry& entry,
                     const StatusOptions& options, double now) {
  RunStatusRow row;
  row.id = entry.run_id;
  row.loss = row.samples_per_second = row.eta_seconds = row.age_seconds = kNaN;
  fs::path file = entry.file;
  std::unique_ptr<RunFileReader> reader;
  try {
    reader = std::make_unique<RunFileReader>(RunFileReader::Open(file));
  } catch (const IoError&) {
    // The .partial may have been committed (renamed to .h5) since the listing.
    file = results.RunFile(entry.run_id);
    try {
      if (entry.finished || !fs::exists(file)) throw;
      reader = std::make_unique<RunFileReader>(RunFileReader::Open(file));
    } catch (const IoError& again) {
      row.state = RunState::kUnreadable;
      row.note = again.what();
      return row;
    }
  }
  row.age_seconds = now - ModifiedAt(reader->path());
  row.budget = BudgetOf(*reader);
  const auto strings = reader->strings();
  if (auto device = strings.find("device"); device != strings.end()) {
    row.device = device->second;
    auto gpu = strings.find("gpu_name");
    if (gpu != strings.end() && !gpu->second.empty()) row.device += " (" + gpu->second + ")";
  }
  double longest_gap = 0;
  try {
    ReadProgress(*reader, &row, &longest_gap);
  } catch (const IoError& e) {
    row.state = RunState::kUnreadable;
    row.note = e.what();
    return row;
  }
  switch (reader->status()) {
    case RunStatus::kCompleted:
      row.state = RunState::kFinished;
      break;
    case RunStatus::kFailed:
      row.state = RunState::kFailed;
      row.note = reader->reason();
      break;
    default: {
      // A run's lock is held exactly while a live process trains it (run_lock.h); folders
      // written before florenz took locks fall back on the file's age.
      const double stale = std::max(options.stale_after_seconds, 3 * longest_gap);
      std::error_code error;
      if (fs::exists(results.LockFile(entry.run_id), error)) {
        row.holder = RunLock::Holder(results, entry.run_id);
        row.state = row.holder.empty() ? RunState::kInterrupted : RunState::kRunning;
      } else {
        row.state = row.age_seconds > stale ? RunState::kInterrupted : RunState::kRunning;
      }
      if (row.state == RunState::kRunning && row.samples_per_second > 0 && row.budget >= 0 &&
          row.samples >= 0) {
        row.eta_seconds = std::max<double>(0, row.budget - row.samples) / row.samples_per_second;
      }
    }
  }
  return row;
}

std::string Clock(double seconds) {
  // Beyond a century (a budget no run will reach at its rate) an ETA says nothing.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 3.2e9) return "-";
  char text[32];
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return text;
}

}  // namespace

const char* ToString(RunState state) {
  switch (state) {
    case RunState::kFinished:
      return "finished";
    case RunState::kFailed:
      return "failed";
    case RunState::kRunning:
      return "running";
    case RunState::kInterrupted:
      return "interrupted";
    case RunState::kQueued:
      return "queued";
    case RunState::kUnreadable:
      return "unreadable";
  }
  return "?";
}

int StatusReport::Count(RunState state) const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [&](const auto& r) { return r.state == state; }));
}

StatusReport ReadStatus(const fs::path& dir, const StatusOptions& options, double now) {
  const ResultsDir results(dir);
  if (!fs::exists(results.ExperimentYaml())) {
    throw IoError(dir.string() +
                  ": not a results folder (no experiment.yaml; `florenz run GRID "
                  "--out " +
                  dir.string() + "` creates it)");
  }
  const LoadedGrid grid = LoadGrid(results.ExperimentYaml().string());
  StatusReport report;
  report.experiment = grid.spec.experiment.name;
  report.dir = dir;
  std::map<std::string, RunStatusRow> on_disk;
  for (const auto& entry : results.ListRuns()) {
    on_disk.emplace(entry.run_id, ReadRun(results, entry, options, now));
  }
  for (const RunSpec& run : grid.runs) {
    auto it = on_disk.find(run.id);
    if (it != on_disk.end()) {
      report.rows.push_back(std::move(it->second));
      on_disk.erase(it);
      continue;
    }
    RunStatusRow row;
    row.id = run.id;
    row.state = RunState::kQueued;
    row.samples = 0;
    const int64_t batch = run.spec().training.batch_size;
    row.budget = std::max<int64_t>(1, run.samples() / batch) * batch;
    row.loss = row.samples_per_second = row.eta_seconds = row.age_seconds = kNaN;
    report.rows.push_back(std::move(row));
  }
  for (auto& [id, row] : on_disk) {
    row.in_grid = false;
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::string StatusText(const StatusReport& report) {
  std::ostringstream out;
  out << report.dir.string() << ": experiment '" << report.experiment << "', " << report.rows.size()
      << " runs: " << report.Count(RunState::kFinished) << " finished, "
      << report.Count(RunState::kRunning) << " running, " << report.Count(RunState::kInterrupted)
      << " interrupted, " << report.Count(RunState::kFailed) << " failed, "
      << report.Count(RunState::kQueued) << " queued";
  if (report.Count(RunState::kUnreadable) > 0) {
    out << ", " << report.Count(RunState::kUnreadable) << " unreadable";
  }
  out << "\n\n";
  std::vector<std::string> header{"run id",    "state", "samples / budget", "loss",
                                  "samples/s", "ETA",   "last write"};
  // Where runs train, when any of them is on a GPU (CPU-only folders keep their table).
  const bool show_device =
      std::any_of(report.rows.begin(), report.rows.end(),
                  [](const RunStatusRow& r) { return r.device.rfind("cuda", 0) == 0; });
  if (show_device) header.push_back("device");
  std::vector<std::vector<std::string>> rows;
  for (const RunStatusRow& r : report.rows) {
    char loss[32] = "-", rate[32] = "-";
    if (std::isfinite(r.loss)) std::snprintf(loss, sizeof(loss), "%.4f", r.loss);
    if (std::isfinite(r.samples_per_second)) {
      std::snprintf(rate, sizeof(rate), "%.0f", r.samples_per_second);
    }
    std::string progress = "-";
    if (r.samples >= 0 && r.budget > 0) {
      char percent[16];
      std::snprintf(percent, sizeof(percent), " (%.0f%%)", 100.0 * r.samples / r.budget);
      progress = HumanCount(static_cast<double>(r.samples)) + " / " +
                 HumanCount(static_cast<double>(r.budget)) + percent;
    }
    const std::string age = std::isfinite(r.age_seconds) ? Clock(r.age_seconds) + " ago" : "-";
    rows.push_back({r.id + (r.in_grid ? "" : " *"), ToString(r.state), progress, loss, rate,
                    Clock(r.eta_seconds), age});
    if (show_device) rows.back().push_back(r.device.empty() ? "-" : r.device);
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto print = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      const bool numeric = i >= 2 && i < 7;
      out << (numeric ? pad + row[i] : row[i] + pad) << (i + 1 < row.size() ? "  " : "\n");
    }
  };
  print(header);
  for (const auto& row : rows) print(row);
  bool any_outside = false;
  for (const RunStatusRow& r : report.rows) {
    any_outside |= !r.in_grid;
    if (!r.note.empty()) out << "\n" << r.id << " (" << ToString(r.state) << "): " << r.note;
    if (!r.holder.empty())
      out << "\n" << r.id << " (" << ToString(r.state) << "): trained by " << r.holder;
  }
  if (any_outside) out << "\n* not in the stored grid (a file left from an earlier grid)";
  out << "\n";
  return out.str();
}

}  // namespace florenz
