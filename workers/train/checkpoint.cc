// Checkpoint files (see checkpoint.h).
#include "workers/train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "experiments/results_dir.h"

namespace florenz::train {
namespace {

// The checkpoint's bytes go to `fd` through LibTorch's writer callback. LibTorch must never see
// a failed write: its zip writer would throw from its destructor and end the process (a full
// disk once did: rc 134). So a failure is remembered, the rest of the bytes are dropped, and
// the caller throws IoError with the OS error once LibTorch is done.
class CheckpointSink {
 public:
  explicit CheckpointSink(int fd) : fd_(fd) {}
  size_t Write(const void* data, size_t size) {
    const char* bytes = static_cast<const char*>(data);
    for (size_t done = 0; errno_ == 0 && done < size;) {
      const ssize_t n = ::write(fd_, bytes + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        errno_ = errno;
        break;
      }
      done += static_cast<size_t>(n);
    }
    return size;
  }
  int error() const { return errno_; }

 private:
  int fd_;
  int errno_ = 0;
};

[[noreturn]] void Fail(const std::filesystem::path& tmp, const std::string& what, int error) {
  // The AtomicFile going out of scope removes tmp: the previous checkpoint stays whole.
  throw IoError(tmp.string() + ": cannot write the checkpoint: " + what +
                (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
}

// checkpoints/<run_id>/ must be florenz's own folder, not a link to someone else's.
void CheckFolder(const std::filesystem::path& dir) {
  std::error_code error;
  if (std::filesystem::symlink_status(dir, error).type() == std::filesystem::file_type::symlink) {
    throw IoError(dir.string() +
                  ": is a symbolic link where florenz keeps a run's checkpoints; florenz never "
                  "writes through links and leaves it as it is (remove it to go on)");
  }
}

}  // namespace

void SaveCheckpoint(const ResultsDir& results, const std::string& run_id, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position,
                    const std::string& shard) {
  const auto dir = results.CheckpointDir(run_id);
  CheckFolder(dir);
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  if (made)
    throw IoError(dir.string() + ": cannot create the checkpoint folder: " + made.message());
  CheckFolder(dir);
  const auto file = results.CheckpointFile(run_id, shard);
  const auto previous = results.CheckpointFile(run_id, shard, /*previous_generation=*/true);
  RefuseNonRegularFile(file);
  RefuseNonRegularFile(previous);
  // A fresh, uniquely named temporary created with O_EXCL | O_NOFOLLOW: a link planted under
  // any name here is never written through.
  AtomicFile out(file);
  CheckpointSink sink(out.fd());
  try {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("florenz_optimizer", optimizer_archive);
    archive.write("florenz_step", torch::tensor(position.step, torch::kInt64));
    archive.write("florenz_samples", torch::tensor(position.samples, torch::kInt64));
    archive.save_to([&sink](const void* data, size_t size) { return sink.Write(data, size); });
  } catch (const c10::Error& e) {
    Fail(out.temporary(), e.what_without_backtrace(), 0);
  }
  if (sink.error() != 0) Fail(out.temporary(), "write failed", sink.error());
  try {
    out.Close(/*durable=*/true);
  } catch (const IoError& e) {
    throw IoError(std::string(e.what()) + " (cannot write the checkpoint)");
  }
  // The newest becomes the previous generation, then the new file the newest. A kill between
  // the two renames leaves the previous generation to resume from. Renames replace names; they
  // never write through a link.
  if (std::filesystem::exists(std::filesystem::symlink_status(file)) &&
      ::rename(file.c_str(), previous.c_str()) != 0) {
    Fail(out.temporary(), "cannot rename " + file.string() + " to " + previous.string(), errno);
  }
  out.Publish();
  SyncDirectory(dir);
}

std::optional<CheckpointFile> ReadCheckpoint(const ResultsDir& results, const std::string& run_id,
                                             const std::string& shard, Generation which,
                                             const torch::Device& device, std::string* problem) {
  const auto file = results.CheckpointFile(run_id, shard, which == Generation::kPrevious);
  if (!std::filesystem::exists(file)) return std::nullopt;
  try {
    CheckpointFile checkpoint;
    checkpoint.file = file;
    checkpoint.archive = std::make_shared<torch::serialize::InputArchive>();
    // Onto the model's device: InputArchive::read would otherwise move a parameter to the
    // device the checkpoint was written from (set_data).
    checkpoint.archive->load_from(file.string(), device);
    torch::Tensor step, samples;
    checkpoint.archive->read("florenz_step", step);
    checkpoint.archive->read("florenz_samples", samples);
    checkpoint.position = {step.cpu().item<int64_t>(), samples.cpu().item<int64_t>()};
    return checkpoint;
  } catch (const c10::Error& e) {
    if (problem)
      *problem = file.string() + ": cannot read the checkpoint: " + e.what_without_backtrace();
    return std::nullopt;
  }
}

void RestoreCheckpoint(const CheckpointFile& checkpoint, torch::nn::Module& model,
                       torch::optim::Optimizer& optimizer) {
  try {
    model.load(*checkpoint.archive);
    torch::serialize::InputArchive optimizer_archive;
    checkpoint.archive->read("florenz_optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw IoError(checkpoint.file.string() +
                  ": cannot restore the checkpoint: " + e.what_without_backtrace());
  }
}

}  // namespace florenz::train
