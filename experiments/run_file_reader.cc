// RunFileReader: opens a run file, checks that it is a florenz run file of a format it knows,
// caches /config and /final, and reads /train and /eval series on demand. Turns HDF5's errors
// into IoErrors that name the file.
#include "experiments/run_file_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/errors.h"
#include "experiments/h5_handle.h"

namespace florenz {
namespace fs = std::filesystem;

namespace {

constexpr char kPartialSuffix[] = ".partial";

bool IsPartial(const fs::path& file) { return file.extension() == kPartialSuffix; }

// "runs/x.h5.partial" -> "runs/x.h5".
fs::path FinishedPathOf(const fs::path& partial) {
  fs::path finished = partial;
  finished.replace_extension();
  return finished;
}

void Require(bool present, const std::string& what) {
  if (!present) throw H5Error("not a florenz run file: missing " + what);
}

}  // namespace

struct RunFileReader::State {
  fs::path path;
  H5Handle file;
  RunStatus status = RunStatus::kUnfinished;
  std::string run_id, spec_yaml, reason;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  std::map<std::string, double> final_metrics;
  std::vector<std::string> eval_pairs;
};

RunFileReader::RunFileReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
RunFileReader::RunFileReader(RunFileReader&&) noexcept = default;
RunFileReader& RunFileReader::operator=(RunFileReader&&) noexcept = default;
RunFileReader::~RunFileReader() = default;

RunFileReader RunFileReader::Open(const fs::path& file) { return RunFileReader(Load(file)); }

std::unique_ptr<RunFileReader::State> RunFileReader::Load(const fs::path& file) {
  std::error_code error;
  if (!fs::exists(file, error)) {
    throw IoError(file.string() + ": " + (error ? error.message() : "no such file"));
  }
  if (::access(file.c_str(), R_OK) != 0) {
    throw IoError(file.string() + ": cannot read: " + std::strerror(errno));
  }
  auto s = std::make_unique<State>();
  s->path = file;
  SilenceHdf5ErrorPrinting();
  try {
    s->file = OpenFileReadOnly(file);
  } catch (const H5Error& e) {
    // HDF5's words follow: "file signature not found", "truncated file: eof = ...".
    throw IoError(file.string() + ": not an HDF5 file (truncated or corrupt): " + e.what());
  }

  WithFileContext(file, [&] {
    const hid_t root = s->file.get();
    Require(AttributeExists(root, "florenz_run_format"), "root attribute florenz_run_format");
    const int64_t format = ReadInt64Attribute(root, "florenz_run_format");
    if (format > kRunFileFormatVersion) {
      throw H5Error("run file format " + std::to_string(format) + " is newer than this florenz (" +
                    std::to_string(kRunFileFormatVersion) + "); update florenz to read it");
    }
    for (const char* group : {"config", "train", "eval", "final"}) {
      Require(LinkExists(root, group), std::string("group /") + group);
    }

    H5Handle config = OpenGroup(root, "config");
    for (const std::string& name : AttributeNames(config.get())) {
      if (name == "run_id") {
        s->run_id = ReadStringAttribute(config.get(), name);
      } else if (name == "spec_yaml") {
        s->spec_yaml = ReadStringAttribute(config.get(), name);
      } else if (GetAttributeClass(config.get(), name) == AttributeClass::kNumber) {
        s->numbers[name] = ReadDoubleAttribute(config.get(), name);
      } else if (GetAttributeClass(config.get(), name) == AttributeClass::kString) {
        s->strings[name] = ReadStringAttribute(config.get(), name);
      }
    }
    Require(AttributeExists(config.get(), "run_id"), "/config attribute run_id");
    Require(AttributeExists(config.get(), "spec_yaml"), "/config attribute spec_yaml");

    H5Handle train = OpenGroup(root, "train");
    for (const char* column : {"step", "samples", "loss", "lr", "grad_norm", "seconds"}) {
      Require(LinkExists(train.get(), column), std::string("dataset /train/") + column);
    }

    H5Handle eval = OpenGroup(root, "eval");
    s->eval_pairs = LinkNames(eval.get());

    H5Handle final_group = OpenGroup(root, "final");
    Require(AttributeExists(final_group.get(), "status"), "/final attribute status");
    Require(AttributeExists(final_group.get(), "reason"), "/final attribute reason");
    const std::string status_text = ReadStringAttribute(final_group.get(), "status");
    s->reason = ReadStringAttribute(final_group.get(), "reason");
    for (const std::string& name : LinkNames(final_group.get())) {
      s->final_metrics[name] = ReadDoubleScalar(final_group.get(), name);
    }

    RunStatus status = RunStatus::kUnfinished;
    if (IsPartial(file)) {
      s->status = RunStatus::kUnfinished;
    } else if (FromString(status_text, &status) &&
               (status == RunStatus::kCompleted || status == RunStatus::kFailed)) {
      s->status = status;
    } else {
      throw H5Error("finished run file has /final status '" + status_text +
                    "', expected completed or failed");
    }
  });
  return s;
}

void RunFileReader::Refresh() {
  const fs::path current = state_->path;
  if (!IsPartial(current)) {
    state_ = Load(current);
    return;
  }
  // The writer may commit (rename to .h5, unlink .partial) at any moment, even between our
  // checks; the .h5 is authoritative once it exists.
  const fs::path finished = FinishedPathOf(current);
  std::error_code error;
  if (fs::exists(finished, error)) {
    state_ = Load(finished);
    return;
  }
  try {
    state_ = Load(current);
  } catch (const IoError&) {
    if (!fs::exists(finished, error)) throw;
    state_ = Load(finished);
  }
}

const fs::path& RunFileReader::path() const { return state_->path; }
RunStatus RunFileReader::status() const { return state_->status; }
std::string RunFileReader::run_id() const { return state_->run_id; }
std::string RunFileReader::spec_yaml() const { return state_->spec_yaml; }
std::string RunFileReader::reason() const { return state_->reason; }
std::map<std::string, double> RunFileReader::numbers() const { return state_->numbers; }
std::map<std::string, std::string> RunFileReader::strings() const { return state_->strings; }
std::map<std::string, double> RunFileReader::final_metrics() const { return state_->final_metrics; }
std::vector<std::string> RunFileReader::eval_pairs() const { return state_->eval_pairs; }

RunFileReader::TrainSeries RunFileReader::ReadTrain() const {
  return WithFileContext(state_->path, [&] {
    H5Handle train = OpenGroup(state_->file.get(), "train");
    TrainSeries series;
    series.step = ReadInt64Column(train.get(), "step");
    series.samples = ReadInt64Column(train.get(), "samples");
    series.loss = ReadDoubleColumn(train.get(), "loss");
    series.lr = ReadDoubleColumn(train.get(), "lr");
    series.grad_norm = ReadDoubleColumn(train.get(), "grad_norm");
    series.seconds = ReadDoubleColumn(train.get(), "seconds");
    const size_t n = series.step.size();
    if (series.samples.size() != n || series.loss.size() != n || series.lr.size() != n ||
        series.grad_norm.size() != n || series.seconds.size() != n) {
      throw H5Error("corrupt run file: the /train datasets have different lengths");
    }
    return series;
  });
}

RunFileReader::EvalSeries RunFileReader::ReadEval(const std::string& pair) const {
  return WithFileContext(state_->path, [&] {
    H5Handle eval = OpenGroup(state_->file.get(), "eval");
    if (pair.empty() || pair.find('/') != std::string::npos || !LinkExists(eval.get(), pair)) {
      std::string known;
      for (const std::string& name : state_->eval_pairs)
        known += (known.empty() ? "" : ", ") + name;
      throw H5Error("no eval pair '" + pair + "' (the file has: " + known + ")");
    }
    H5Handle group = OpenGroup(eval.get(), pair);
    EvalSeries series;
    for (const std::string& name : LinkNames(group.get())) {
      if (name == "step") {
        series.step = ReadInt64Column(group.get(), name);
      } else if (name == "samples") {
        series.samples = ReadInt64Column(group.get(), name);
      } else {
        series.metrics[name] = ReadDoubleColumn(group.get(), name);
      }
    }
    bool consistent = series.samples.size() == series.step.size();
    for (const auto& [name, values] : series.metrics) {
      consistent = consistent && values.size() == series.step.size();
    }
    if (!consistent) {
      throw H5Error("corrupt run file: the /eval/" + pair + " datasets have different lengths");
    }
    return series;
  });
}

}  // namespace florenz
