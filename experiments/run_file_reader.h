// RunFileReader: reads one run file, finished (runs/<id>.h5) or live/unfinished
// (runs/<id>.h5.partial), for `florenz status`, `florenz collect` and tests. Metadata is read at
// Open(); series are read on demand from the open file.
#ifndef FLORENZ_EXPERIMENTS_RUN_FILE_READER_H_
#define FLORENZ_EXPERIMENTS_RUN_FILE_READER_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "experiments/run_file_writer.h"

namespace florenz {

// Reads a run file written by RunFileWriter. Every error is an IoError whose message starts with
// the file's path: missing file, not HDF5 (truncated or corrupt), not a florenz run file, or a
// newer format. Move-only; not thread-safe.
class RunFileReader {
 public:
  // Opens `file`, a runs/<id>.h5 or runs/<id>.h5.partial. A .partial is a complete snapshot of
  // a live (or killed) run: it can be opened at any time while its writer works.
  static RunFileReader Open(const std::filesystem::path& file);

  RunFileReader(RunFileReader&&) noexcept;
  RunFileReader& operator=(RunFileReader&&) noexcept;
  RunFileReader(const RunFileReader&) = delete;
  RunFileReader& operator=(const RunFileReader&) = delete;
  ~RunFileReader();

  // Re-reads the run to see rows published since Open(): reopens the .partial (the writer
  // replaces it with each snapshot), or the committed .h5 once the run has finished, after which
  // path() names the .h5. On error the reader keeps its previous state.
  void Refresh();

  // The file currently open.
  const std::filesystem::path& path() const;

  // kCompleted / kFailed for a finished .h5 (from /final status). kUnfinished for any .partial:
  // its writer may be working or dead, and the file cannot tell which (the caller may compare
  // the file's mtime with its flush interval). Never kRunning.
  RunStatus status() const;

  std::string run_id() const;
  std::string spec_yaml() const;
  // Why the run failed; empty for completed or unfinished runs.
  std::string reason() const;
  // /config attributes other than run_id and spec_yaml: numeric ones (as double) and strings.
  std::map<std::string, double> numbers() const;
  std::map<std::string, std::string> strings() const;
  // /final/<metric> for every final metric of the layout; NaN where not written (always NaN in
  // a .partial).
  std::map<std::string, double> final_metrics() const;

  struct TrainSeries {
    std::vector<int64_t> step, samples;
    std::vector<double> loss, lr, grad_norm, seconds;
    size_t size() const { return step.size(); }
  };
  // All rows of /train (all columns have the same length).
  TrainSeries ReadTrain() const;

  struct EvalSeries {
    std::vector<int64_t> step, samples;
    std::map<std::string, std::vector<double>> metrics;  // by metric name
    size_t size() const { return step.size(); }
  };
  // The groups under /eval, ascending by name.
  std::vector<std::string> eval_pairs() const;
  // All rows of /eval/<pair>; IoError if the file has no such pair.
  EvalSeries ReadEval(const std::string& pair) const;

 private:
  struct State;
  explicit RunFileReader(std::unique_ptr<State> state);
  static std::unique_ptr<State> Load(const std::filesystem::path& file);

  std::unique_ptr<State> state_;
};

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_RUN_FILE_READER_H_
