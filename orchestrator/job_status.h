// The status of a results folder (`florenz status DIR`): the table of an experiment's runs —
// state, progress, latest loss, samples/s, ETA — from the files alone (experiment.yaml, runs/*.h5,
// runs/*.h5.partial), read-only and safe while a job writes them (each run file is a whole-file
// snapshot).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace florenz {

enum class RunState {
  kFinished,     // runs/<id>.h5 with status completed
  kFailed,       // runs/<id>.h5 with status failed (after its retries); the reason is kept
  kRunning,      // runs/<id>.h5.partial whose lock a live process holds (without a lock file:
                 // written recently, see StatusOptions)
  kInterrupted,  // runs/<id>.h5.partial with its lock free: its writer died or was stopped
  kQueued,       // in the grid, no file yet
  kUnreadable,   // a run file that cannot be read (the note says why)
};
// "finished", "failed", "running", "interrupted", "queued", "unreadable".
const char* ToString(RunState state);

struct StatusOptions {
  // A .partial whose last snapshot is older than max(stale_after_seconds, 3 × the longest
  // interval between its logged rows) counts as interrupted, else as running: a file cannot
  // tell a live writer from a dead one, its age can. Seconds, >= 0.
  double stale_after_seconds = 120;
};

// One row of the table. Numbers not known are NaN (samples -1).
struct RunStatusRow {
  std::string id;
  RunState state = RunState::kQueued;
  int64_t samples = -1;           // training samples seen, from the last logged row
  int64_t budget = -1;            // samples the run will have seen when done (steps × batch)
  double loss = 0;                // latest training loss (NaN when none)
  double samples_per_second = 0;  // over the current attempt's logged rows (NaN when unknown)
  double eta_seconds = 0;         // running runs: remaining samples at that rate (else NaN)
  double age_seconds = 0;         // seconds since the file was last written (NaN when queued)
  bool in_grid = true;            // false: a file of a run that the stored grid no longer has
  std::string note;               // why a run failed, or why its file cannot be read
  std::string holder;             // the process holding the run's lock ("pid 42 on node3 since
                                  // …"): it trains the run now; "" when none does
  std::string device;             // where it trains or trained: "cpu", "cuda:0 (NVIDIA H200)";
                                  // "" for files written before florenz recorded it
};

struct StatusReport {
  std::string experiment;  // experiment.name of the stored grid
  std::filesystem::path dir;
  std::vector<RunStatusRow> rows;  // the grid's runs in grid order, then files of other runs
  int Count(RunState state) const;
};

// Reads DIR without writing anything. `now` is the current time in seconds since the Unix
// epoch (file ages are measured against it). Throws IoError when DIR holds no
// experiment.yaml, ConfigError when that file is not a loadable grid; a run file that cannot
// be read becomes a kUnreadable row, not an error.
StatusReport ReadStatus(const std::filesystem::path& dir, const StatusOptions& options, double now);

// The table for people: a summary line, one aligned row per run (with a device column when a
// run trains on a GPU), failure reasons below.
std::string StatusText(const StatusReport& report);

}  // namespace florenz
