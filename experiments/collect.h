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
  // One line per table found in the way and set aside ("<file>: could not be read ...; set
  // aside as <file>.unreadable-<n>") or repaired (a CSV not matching its results.h5).
  std::vector<std::string> set_aside;
  std::filesystem::path results_h5;   // OUT/results.h5
  std::filesystem::path results_csv;  // OUT/results.csv

  // One line, e.g. "12 runs (11 completed, 1 failed) -> OUT/results.h5, OUT/results.csv;
  // 3 unfinished; 1 problem".
  std::string BriefReport() const;
};

// Reads every finished run under out_dir/runs/ and writes out_dir/results.h5 and
// out_dir/results.csv as one pair: both go to fresh temporaries of this process's own
// (AtomicFile), results.h5 records the CSV's digest (root attribute "csv_digest"), and both are
// renamed into place, CSV first, under the exclusive collect lock (locks/collect.lock), so any
// number of concurrent collects leave the pair of the last one. One row per finished run,
// ordered by run id; columns are the union over runs. A table in the way that florenz began but
// that cannot be read (empty, cut short) is set aside and reported in the summary. Throws
// IoError (naming the path) if out_dir does not exist, an output cannot be written, or a
// symbolic link or someone else's file sits at results.h5 / results.csv (left untouched);
// problems with single run files are reported in the summary instead.
CollectSummary CollectResults(const std::filesystem::path& out_dir);

// True when out_dir/results.h5 and out_dir/results.csv are one pair: results.h5 opens and the
// CSV's digest is the one it records. Reads under the shared collect lock, so no collect
// switches the pair meanwhile. A mismatch (a collect killed between its two renames, a table
// edited by hand) or a missing or unreadable file is false, with the reason in `problem`.
bool ResultsPairConsistent(const std::filesystem::path& out_dir, std::string* problem = nullptr);

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_COLLECT_H_
