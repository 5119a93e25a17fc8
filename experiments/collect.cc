// CollectResults: one row per finished run, with the union of /config attributes and /final
// metrics as columns, written as column datasets to results.h5 and as rows to results.csv.
// Bad run files are skipped and reported so that one broken run never blocks a fit. Concurrent
// collects each write their own temporaries and publish the pair under an flock, CSV first.
#include "experiments/collect.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/errors.h"
#include "core/hash.h"
#include "experiments/h5_handle.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"

namespace florenz {
namespace fs = std::filesystem;

// Version of the results.h5 layout, stored as its root attribute "florenz_results_format".
constexpr int64_t kResultsFormatVersion = 1;

namespace {

struct Row {
  std::string run_id, status, reason;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  std::map<std::string, double> final_metrics;
};

// Shortest text that reads back as the same double; empty for NaN (a missing value).
std::string FormatNumber(double value) {
  if (std::isnan(value)) return "";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// RFC 4180 quoting, only where needed.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos &&
      (text.empty() || (text.front() != ' ' && text.back() != ' '))) {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The /config columns: numeric unless any run stores the attribute as a string.
struct ConfigColumns {
  std::set<std::string> numeric, text;
};

ConfigColumns ConfigColumnsOf(const std::vector<Row>& rows) {
  ConfigColumns columns;
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.strings) columns.text.insert(name);
  }
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.numbers) {
      if (columns.text.count(name) == 0) columns.numeric.insert(name);
    }
  }
  return columns;
}

std::set<std::string> FinalColumnsOf(const std::vector<Row>& rows) {
  std::set<std::string> names;
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.final_metrics) names.insert(name);
  }
  return names;
}

double NumberOr(const std::map<std::string, double>& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? std::nan("") : it->second;
}

// A config value as text: the string, the number formatted, or empty when missing.
std::string ConfigText(const Row& row, const std::string& name) {
  if (auto it = row.strings.find(name); it != row.strings.end()) return it->second;
  return FormatNumber(NumberOr(row.numbers, name));
}

// "fnv1a64:<16 hex digits>" of the CSV's bytes: the marker that ties results.csv to the
// results.h5 it was written with.
std::string CsvDigest(std::string_view csv) { return "fnv1a64:" + Hex16(Fnv1a64(csv)); }

// Writes the table into `temporary`, a file AtomicFile has just created.
void WriteResultsH5(const fs::path& temporary, const std::vector<Row>& rows,
                    const std::string& csv_digest) {
  const ConfigColumns config_columns = ConfigColumnsOf(rows);
  const std::set<std::string> final_columns = FinalColumnsOf(rows);
  H5Handle h5 = CreateFileTruncate(temporary);
  {
    WriteInt64Attribute(h5.get(), "florenz_results_format", kResultsFormatVersion);
    WriteStringAttribute(h5.get(), "csv_digest", csv_digest);
    WriteInt64Attribute(h5.get(), "n_runs", static_cast<int64_t>(rows.size()));
    std::vector<std::string> run_id, status, reason;
    for (const Row& row : rows) {
      run_id.push_back(row.run_id);
      status.push_back(row.status);
      reason.push_back(row.reason);
    }
    WriteStringColumn(h5.get(), "run_id", run_id);
    WriteStringColumn(h5.get(), "status", status);
    WriteStringColumn(h5.get(), "reason", reason);

    H5Handle config = CreateGroup(h5.get(), "config");
    for (const std::string& name : config_columns.numeric) {
      std::vector<double> column;
      for (const Row& row : rows) column.push_back(NumberOr(row.numbers, name));
      WriteDoubleColumn(config.get(), name, column);
    }
    for (const std::string& name : config_columns.text) {
      std::vector<std::string> column;
      for (const Row& row : rows) column.push_back(ConfigText(row, name));
      WriteStringColumn(config.get(), name, column);
    }

    H5Handle final_group = CreateGroup(h5.get(), "final");
    for (const std::string& name : final_columns) {
      std::vector<double> column;
      for (const Row& row : rows) column.push_back(NumberOr(row.final_metrics, name));
      WriteDoubleColumn(final_group.get(), name, column);
    }
  }
  h5.Close();
}

std::string ResultsCsv(const std::vector<Row>& rows) {
  const ConfigColumns config_columns = ConfigColumnsOf(rows);
  std::set<std::string> config_names = config_columns.numeric;
  config_names.insert(config_columns.text.begin(), config_columns.text.end());
  const std::set<std::string> final_columns = FinalColumnsOf(rows);

  std::string csv = "run_id,status,reason";
  for (const std::string& name : config_names) csv += "," + CsvField("config/" + name);
  for (const std::string& name : final_columns) csv += "," + CsvField("final/" + name);
  csv += "\n";
  for (const Row& row : rows) {
    csv += CsvField(row.run_id) + "," + CsvField(row.status) + "," + CsvField(row.reason);
    for (const std::string& name : config_names) csv += "," + CsvField(ConfigText(row, name));
    for (const std::string& name : final_columns) {
      csv += "," + FormatNumber(NumberOr(row.final_metrics, name));
    }
    csv += "\n";
  }
  return csv;
}

}  // namespace

std::string CollectSummary::BriefReport() const {
  std::string report = std::to_string(finished) + " runs (" + std::to_string(finished - failed) +
                       " completed, " + std::to_string(failed) + " failed) -> " +
                       results_h5.string() + ", " + results_csv.string();
  if (unfinished > 0) report += "; " + std::to_string(unfinished) + " unfinished";
  if (!problems.empty()) {
    report +=
        "; " + std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems");
  }
  return report;
}

namespace {

constexpr char kCsvHeader[] = "run_id,status,reason";
constexpr std::chrono::minutes kStaleTemporaryAge{10};

// What sits where collect publishes a table, found under the collect lock just before.
enum class Existing {
  kAbsent,
  kOurs,      // a table an earlier collect wrote
  kLeftover,  // one florenz began but that cannot be read: empty, cut short, an empty HDF5
  kForeign,   // someone else's file: left as it is, and collect stops
};

std::string ReadPrefix(const fs::path& file, size_t n) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

Existing ClassifyH5(const fs::path& file) {
  RefuseNonRegularFile(file);  // a link: an IoError, its target never opened
  std::error_code error;
  if (!fs::exists(fs::symlink_status(file, error))) return Existing::kAbsent;
  if (fs::file_size(file, error) == 0) return Existing::kLeftover;
  if (ReadPrefix(file, 8) != std::string("\x89HDF\r\n\x1a\n", 8)) return Existing::kForeign;
  try {
    return WithFileContext(file, [&] {
      const H5Handle h5 = OpenFileReadOnly(file);
      if (AttributeExists(h5.get(), "florenz_results_format")) return Existing::kOurs;
      // An HDF5 file with nothing in it is what an earlier collect left when two of them
      // shared one temporary; anything with content is someone else's.
      return AttributeNames(h5.get()).empty() && LinkNames(h5.get()).empty() ? Existing::kLeftover
                                                                             : Existing::kForeign;
    });
  } catch (const IoError&) {
    return Existing::kLeftover;  // an HDF5 signature but unreadable: a table cut short
  }
}

Existing ClassifyCsv(const fs::path& file) {
  RefuseNonRegularFile(file);
  std::error_code error;
  if (!fs::exists(fs::symlink_status(file, error))) return Existing::kAbsent;
  if (fs::file_size(file, error) == 0) return Existing::kLeftover;
  return ReadPrefix(file, std::strlen(kCsvHeader)) == kCsvHeader ? Existing::kOurs
                                                                 : Existing::kForeign;
}

// Renames `file` to "<file>.unreadable-<n>", the first n not taken (never replacing a file);
// returns the new name.
fs::path SetAside(const fs::path& file) {
  for (int n = 1;; ++n) {
    const fs::path aside = file.string() + ".unreadable-" + std::to_string(n);
    if (::renameat2(AT_FDCWD, file.c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) == 0) {
      return aside;
    }
    if (errno == EEXIST) continue;
    if (errno == EINVAL || errno == ENOSYS) {  // a filesystem without RENAME_NOREPLACE
      if (::link(file.c_str(), aside.c_str()) == 0) {
        ::unlink(file.c_str());
        return aside;
      }
      if (errno == EEXIST) continue;
    }
    throw IoError(file.string() + ": cannot set it aside as " + aside.string() + ": " +
                  std::strerror(errno));
  }
}

// The digest results.h5 records for its CSV; "" when it has none (an older collect's table).
std::string RecordedCsvDigest(const fs::path& results_h5) {
  return WithFileContext(results_h5, [&] {
    const H5Handle h5 = OpenFileReadOnly(results_h5);
    return AttributeExists(h5.get(), "csv_digest") ? ReadStringAttribute(h5.get(), "csv_digest")
                                                   : std::string();
  });
}

std::string ReadWhole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(file.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The collect lock (ResultsDir::CollectLockFile), held until destruction. Exclusive for a
// collect publishing its pair; shared for a reader that wants a pair no collect is switching.
class CollectLock {
 public:
  // nullopt for a shared lock on a folder whose lock file does not exist or cannot be opened
  // (a read-only copy of a folder): nothing there is being published.
  static std::optional<CollectLock> Take(const ResultsDir& dir, bool exclusive) {
    const fs::path file = dir.CollectLockFile();
    int fd = -1;
    if (exclusive) {
      std::error_code error;
      fs::create_directories(file.parent_path(), error);
      fd = OpenOwnFile(file, O_RDWR | O_CREAT, "cannot open collect's lock");
    } else {
      fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) return std::nullopt;
    }
    while (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      throw IoError(file.string() + ": cannot lock: " + std::strerror(saved));
    }
    return CollectLock(fd);
  }
  CollectLock(CollectLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  CollectLock& operator=(CollectLock&&) = delete;
  ~CollectLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  explicit CollectLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace

bool ResultsPairConsistent(const fs::path& out_dir, std::string* problem) {
  const ResultsDir dir(out_dir);
  auto fail = [&](const std::string& why) {
    if (problem) *problem = why;
    return false;
  };
  const std::optional<CollectLock> lock = CollectLock::Take(dir, /*exclusive=*/false);
  std::error_code error;
  if (!fs::exists(dir.ResultsH5(), error)) return fail(dir.ResultsH5().string() + ": missing");
  if (!fs::exists(dir.ResultsCsv(), error)) return fail(dir.ResultsCsv().string() + ": missing");
  std::string recorded;
  try {
    recorded = RecordedCsvDigest(dir.ResultsH5());
  } catch (const IoError& e) {
    return fail(e.what());
  }
  if (recorded.empty()) {
    return fail(dir.ResultsH5().string() +
                ": records no csv_digest (written by an older florenz collect)");
  }
  const std::string csv = ReadWhole(dir.ResultsCsv());
  if (CsvDigest(csv) != recorded) {
    return fail(dir.ResultsCsv().string() + ": does not match " + dir.ResultsH5().string() + " (" +
                CsvDigest(csv) + ", expected " + recorded +
                "); run `florenz collect` again to write both");
  }
  return true;
}

CollectSummary CollectResults(const fs::path& out_dir) {
  std::error_code error;
  if (!fs::is_directory(out_dir, error)) {
    throw IoError(out_dir.string() + ": not a results directory (no such directory)");
  }
  const ResultsDir dir(out_dir);
  CollectSummary summary;
  summary.results_h5 = dir.ResultsH5();
  summary.results_csv = dir.ResultsCsv();
  // Refused before any run is read; checked again under the lock, where it counts.
  ClassifyH5(summary.results_h5);
  ClassifyCsv(summary.results_csv);

  std::vector<Row> rows;
  for (const ResultsDir::RunEntry& entry : dir.ListRuns()) {
    if (!entry.finished) {
      ++summary.unfinished;
      summary.unfinished_runs.push_back(entry.run_id);
      continue;
    }
    try {
      const RunFileReader reader = RunFileReader::Open(entry.file);
      if (reader.run_id() != entry.run_id) {
        summary.problems.push_back(entry.file.string() + ": holds run_id '" + reader.run_id() +
                                   "', not '" + entry.run_id + "' (renamed?); skipped");
        continue;
      }
      rows.push_back(Row{reader.run_id(), ToString(reader.status()), reader.reason(),
                         reader.numbers(), reader.strings(), reader.final_metrics()});
      ++summary.finished;
      if (reader.status() == RunStatus::kFailed) ++summary.failed;
    } catch (const IoError& e) {
      summary.problems.push_back(std::string(e.what()) + "; skipped");
    }
  }

  // Both tables are written whole to temporaries of this process's own before either is
  // published; the CSV's digest inside results.h5 ties the pair together.
  const std::string csv = ResultsCsv(rows);
  AtomicFile csv_out(summary.results_csv);
  csv_out.Write(csv);
  csv_out.Close();
  AtomicFile h5_out(summary.results_h5);
  h5_out.Close(/*durable=*/false);
  WithFileContext(h5_out.temporary(),
                  [&] { WriteResultsH5(h5_out.temporary(), rows, CsvDigest(csv)); });
  h5_out.CheckUnchanged();
  SyncFile(h5_out.temporary());

  // Publication, one collect at a time: the last to take the lock leaves its pair.
  const std::optional<CollectLock> lock = CollectLock::Take(dir, /*exclusive=*/true);
  const Existing h5_there = ClassifyH5(summary.results_h5);
  const Existing csv_there = ClassifyCsv(summary.results_csv);
  for (const auto& [file, there] :
       {std::pair{summary.results_h5, h5_there}, std::pair{summary.results_csv, csv_there}}) {
    if (there == Existing::kForeign) {
      throw IoError(file.string() +
                    ": exists and was not written by florenz collect; it is left as it is "
                    "(move it away to collect into this folder)");
    }
  }
  for (const auto& [file, there] :
       {std::pair{summary.results_h5, h5_there}, std::pair{summary.results_csv, csv_there}}) {
    if (there == Existing::kLeftover) {
      const fs::path aside = SetAside(file);
      summary.set_aside.push_back(file.string() + ": could not be read (left by an interrupted " +
                                  "or older collect); set aside as " + aside.string());
    }
  }
  if (h5_there == Existing::kOurs && csv_there == Existing::kOurs) {
    std::string mismatch;
    try {
      const std::string recorded = RecordedCsvDigest(summary.results_h5);
      if (!recorded.empty() && recorded != CsvDigest(ReadWhole(summary.results_csv))) {
        summary.set_aside.push_back(summary.results_csv.string() + ": did not match " +
                                    summary.results_h5.string() +
                                    " (a collect was stopped between its two renames); both "
                                    "are replaced");
      }
    } catch (const IoError&) {
      // Replaced below in any case.
    }
  }
  // The CSV first, results.h5 last: results.h5 is what `florenz fit` reads, and a collect killed
  // between the two leaves a CSV whose digest results.h5 does not record (ResultsPairConsistent).
  csv_out.Publish();
  h5_out.Publish();
  SyncDirectory(out_dir);
  RemoveStaleTemporaries(summary.results_h5, kStaleTemporaryAge);
  RemoveStaleTemporaries(summary.results_csv, kStaleTemporaryAge);
  return summary;
}

}  // namespace florenz
