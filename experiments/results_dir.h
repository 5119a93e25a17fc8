// ResultsDir: the layout of an experiment's output directory OUT/ (experiment.yaml, runs/,
// checkpoints/) and which runs in it are finished. The link-safe durable writes the whole store
// uses are in durable_write.h, included here. See docs/results-format.md.
#ifndef FLORENZ_EXPERIMENTS_RESULTS_DIR_H_
#define FLORENZ_EXPERIMENTS_RESULTS_DIR_H_

#include <filesystem>
#include <string>
#include <vector>

#include "experiments/durable_write.h"  // the store's writes; callers use it through here

namespace florenz {

// OUT/ of one experiment:
//   OUT/experiment.yaml            the resolved grid, written once
//   OUT/runs/<run_id>.h5.partial   a run in progress (or killed): its latest snapshot
//   OUT/runs/<run_id>.h5           a finished run (completed or failed): the rename committed it
//   OUT/checkpoints/<run_id>/      model and optimizer state: checkpoint<shard>.pt, the
//                                  generation before it checkpoint<shard>.previous.pt, and
//                                  previous-attempt.h5.partial while a resumed run's file is
//                                  rebuilt
//   OUT/locks/<run_id>.lock        held (flock) by the process training the run (run_lock.h)
//   OUT/results.h5, results.csv    written by CollectResults()
//   OUT/report/                    `florenz report`'s page and figures (by default)
//   OUT/slurm/                     `florenz submit`'s scripts, logs and job list
//   OUT/cache/                     a shards grid's corpus index and token caches (when the
//                                  grid names no data.cache_dir)
// Paths are pure functions of the root, and this class is the one place that names them;
// only Create(), WriteExperimentYaml() and the listing touch the disk. All errors are IoError
// naming the path.
class ResultsDir {
 public:
  explicit ResultsDir(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path ExperimentYaml() const;
  std::filesystem::path RunsDir() const;
  std::filesystem::path CheckpointDir(const std::string& run_id) const;
  std::filesystem::path RunFile(const std::string& run_id) const;      // runs/<id>.h5
  std::filesystem::path PartialFile(const std::string& run_id) const;  // runs/<id>.h5.partial
  std::filesystem::path LockFile(const std::string& run_id) const;     // locks/<id>.lock
  // checkpoints/<id>/checkpoint<shard>.pt, or .previous.pt for the generation before it.
  // `shard` names a tensor-parallel rank's file ("-tp1of2"), "" for a whole model.
  std::filesystem::path CheckpointFile(const std::string& run_id, const std::string& shard,
                                       bool previous_generation = false) const;
  // checkpoints/<id>/previous-attempt.h5.partial: an interrupted attempt's rows, kept until the
  // resumed run's new .partial holds them.
  std::filesystem::path PreviousAttemptFile(const std::string& run_id) const;
  // Where a run file that is set aside goes (an unreadable one, a failed attempt being
  // retried): runs/<id>.h5.<why>-<n>, the first n not taken. Listing ignores such files.
  std::filesystem::path AsideFile(const std::string& run_id, const std::string& why) const;
  std::filesystem::path ResultsH5() const;
  std::filesystem::path ResultsCsv() const;
  // locks/collect.lock: `florenz collect` holds it (flock) while it publishes the pair; readers
  // may hold it shared to read a pair that no collect is switching. Run ids never equal
  // "collect" (they end in a hash), so it cannot clash with a run's lock.
  std::filesystem::path CollectLockFile() const;
  std::filesystem::path ReportDir() const;  // report/
  std::filesystem::path SlurmDir() const;   // slurm/
  std::filesystem::path CacheDir() const;   // cache/

  // mkdir -p OUT/runs OUT/checkpoints.
  void Create() const;

  // Writes OUT/experiment.yaml atomically (temporary file, fsync, rename, fsync of OUT/). If the
  // file exists with identical text this does nothing; with different text it throws IoError
  // (the directory holds a different experiment), leaving the file untouched; a symbolic link
  // there is an IoError too, and its target is not read or written.
  void WriteExperimentYaml(const std::string& text) const;

  struct RunEntry {
    std::string run_id;
    std::filesystem::path file;  // runs/<id>.h5 when finished, else runs/<id>.h5.partial
    bool finished = false;
  };
  // The runs under OUT/runs/, sorted by run id; empty when runs/ does not exist. A run with both
  // files (a writer died between the commit rename and removing the .partial) is finished.
  // Temporary files (*.tmp) and anything else are ignored.
  std::vector<RunEntry> ListRuns() const;

  // True when runs/<id>.h5 exists: the run completed or failed, and will not be rerun.
  bool IsFinished(const std::string& run_id) const;

 private:
  std::filesystem::path root_;
};

// "<file>.tmp": the fixed temporary name earlier versions wrote to. Nothing writes it any more
// (writes go through AtomicFile's unique names, durable_write.h); the store removes leftovers of
// it, and listings ignore such files.
std::filesystem::path TemporaryFile(const std::filesystem::path& file);

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_RESULTS_DIR_H_
