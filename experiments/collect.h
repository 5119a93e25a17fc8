// CollectResults: gathers the finished runs of OUT/runs/ into one table, OUT/results.h5 (what
// `florenz fit` reads) and OUT/results.csv (for everyone else). `florenz collect OUT` calls it.
// The table layout is documented in docs/results-format.md.
#ifndef FLORENZ_EXPERIMENTS_COLLECT_H_
#define FLORENZ_EXPERIMENTS_COLLECT_H_

#include <filesystem>
#include <string>
#include <vector>

namespace florenz {

// What CollectResults() did.
struct CollectSummary {
  int finished = 0;    // Runs written as rows: completed plus failed.
  int failed = 0;      // Of those, runs whose status is failed.
  int unfinished = 0;  // Runs with only a .partial (live or killed); not written as rows.
  std::vector<std::string> unfinished_runs;  // Their run ids, ascending.
  // One line per run file that was skipped, starting with its path (corrupt, not a run file,
  // run id not matching the file name). Other runs are unaffected.
  std::vector<std::string> problems;
  std::filesystem::path results_h5;   // OUT/results.h5
  std::filesystem::path results_csv;  // OUT/results.csv

  // One line, e.g. "12 runs (11 completed, 1 failed) -> OUT/results.h5, OUT/results.csv;
  // 3 unfinished; 1 problem".
  std::string BriefReport() const;
};

// Reads every finished run under out_dir/runs/ and writes out_dir/results.h5 and
// out_dir/results.csv, each atomically (temporary file, fsync, rename). One row per finished
// run, ordered by run id; columns are the union over runs. Throws IoError (naming the path) if
// out_dir does not exist or an output cannot be written; problems with single run files are
// reported in the summary instead.
CollectSummary CollectResults(const std::filesystem::path& out_dir);

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_COLLECT_H_
