// RunFileWriter: writes one run's results file, OUT/runs/<run_id>.h5, and the value types that
// describe a run file (layout, config, records, status). The writer keeps the run in memory and
// publishes it as whole-file snapshots, so h5dump, h5py and RunFileReader can read a live run.
#ifndef FLORENZ_EXPERIMENTS_RUN_FILE_WRITER_H_
#define FLORENZ_EXPERIMENTS_RUN_FILE_WRITER_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "experiments/results_dir.h"

namespace florenz {

// Version of the run-file schema, stored as the root attribute "florenz_run_format".
inline constexpr int64_t kRunFileFormatVersion = 1;

// Which series and scalars a run file holds; fixed when the writer is created. Names are
// non-empty, contain no '/', and are unique within each list.
struct RunFileLayout {
  // Evaluation pairs, e.g. "caption_es": one group /eval/<pair> each.
  std::vector<std::string> eval_pairs;
  // Metrics recorded at each evaluation of every pair, e.g. "loss", "cider": one dataset
  // /eval/<pair>/<metric> each. "step" and "samples" are reserved.
  std::vector<std::string> eval_metrics;
  // Scalars written once by Finish(), e.g. "loss_caption_es": datasets /final/<metric>, NaN
  // until written.
  std::vector<std::string> final_metrics;
};

// What the run is, stored as attributes of /config.
struct RunConfig {
  std::string run_id;     // Also the file name: runs/<run_id>.h5.
  std::string spec_yaml;  // The run's resolved spec.
  // Further attributes, float64 and string (e.g. {"params", 1.2e8}, {"lang", "es"}). Names must be
  // unique across both lists and differ from "run_id" and "spec_yaml".
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::string>> strings;
};

// One row of /train.
struct TrainRecord {
  int64_t step = 0;
  int64_t samples = 0;  // Training samples seen so far.
  double loss = 0.0;
  double lr = 0.0;
  double grad_norm = 0.0;
  double seconds = 0.0;  // Wall-clock seconds since the run started.
};

// One row of /eval/<pair>.
struct EvalRecord {
  int64_t step = 0;
  int64_t samples = 0;
  std::vector<double> values;  // One per RunFileLayout::eval_metrics, in that order.
};

// kRunning: a writer is still working (the writer's own view; stored as "running" in snapshots).
// kCompleted, kFailed: committed by Finish(). kUnfinished: a .partial seen by a reader, whose
// writer may be alive or dead (a file cannot tell).
enum class RunStatus { kRunning, kCompleted, kFailed, kUnfinished };

// "running", "completed", "failed", "unfinished".
const char* ToString(RunStatus status);
// Inverse of ToString(); false (and *status untouched) for any other text.
bool FromString(std::string_view text, RunStatus* status);

// Writes runs/<run_id>.h5 for one run. Single writer per run; not thread-safe.
//
// Lifecycle: Create() publishes runs/<id>.h5.partial with every group and dataset of the layout
// (series empty). Append*() buffer rows in memory; Flush() publishes them by writing a complete
// new snapshot to <id>.h5.partial.tmp and renaming it over the .partial, so a reader always sees a
// whole, closed file. Finish() writes /final, fsyncs, renames to <id>.h5 (the commit), removes
// the .partial and fsyncs runs/. A writer destroyed or killed before Finish() leaves the last
// flushed .partial: an unfinished run.
//
// Cost: Flush() rewrites the file, O(rows): about 3 ms + 0.1 ms per 1k train rows (12 ms at 100k
// rows). Call it at the log interval (seconds), not every step. Errors are IoError naming the file;
// invalid arguments (unknown pair, wrong number of values, bad names) are std::invalid_argument;
// use after Finish() or after a move is std::logic_error.
class RunFileWriter {
 public:
  // Creates OUT/runs/<run_id>.h5.partial, replacing a stale one (a killed writer's) and removing
  // killed writers' temporaries. Throws IoError if the run is already finished (runs/<run_id>.h5
  // exists): delete that file to rerun; and if either name holds a symbolic link or anything but
  // a regular file (nothing is written through it).
  static RunFileWriter Create(const ResultsDir& results, const RunConfig& config,
                              const RunFileLayout& layout);

  RunFileWriter(RunFileWriter&&) noexcept;
  RunFileWriter& operator=(RunFileWriter&&) noexcept;
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;
  // Leaves the files as they are (no flush, no I/O); never throws.
  ~RunFileWriter();

  void AppendTrain(const TrainRecord& record);
  // `pair` must be one of the layout's eval_pairs; record.values one per eval metric.
  void AppendEval(const std::string& pair, const EvalRecord& record);

  // Publishes the rows appended so far to readers (a new .partial snapshot). No-op when nothing
  // was appended since the last snapshot.
  void Flush();

  // Commits the run: status must be kCompleted or kFailed; `reason` says why it failed (or is
  // empty); final_metrics keys must be layout final_metrics (missing ones stay NaN). Returns the
  // path of the committed file, runs/<run_id>.h5. The writer accepts no further calls.
  std::filesystem::path Finish(RunStatus status, const std::string& reason,
                               const std::map<std::string, double>& final_metrics);

  const std::filesystem::path& partial_path() const;  // runs/<run_id>.h5.partial
  const std::filesystem::path& final_path() const;    // runs/<run_id>.h5
  size_t train_rows() const;

 private:
  struct State;
  explicit RunFileWriter(std::unique_ptr<State> state);
  State& state(const char* operation);
  // Writes the complete run file into `temporary` (truncating it) and closes it; H5Error.
  static void WriteRunFile(const std::filesystem::path& temporary, const State& s);
  // Writes the run file to a fresh temporary beside `target` and renames it over `target`
  // (never through a link there); durable: fsync of the file before the rename.
  static void Publish(const std::filesystem::path& target, const State& s, bool durable);

  std::unique_ptr<State> state_;
};

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_RUN_FILE_WRITER_H_
