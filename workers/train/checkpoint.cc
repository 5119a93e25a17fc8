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

[[noreturn]] void Fail(const std::filesystem::path& tmp, int fd, const std::string& what,
                       int error) {
  if (fd >= 0) ::close(fd);
  ::unlink(tmp.c_str());  // the previous checkpoint stays whole
  throw IoError(tmp.string() + ": cannot write the checkpoint: " + what +
                (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
}

}  // namespace

void SaveCheckpoint(const ResultsDir& results, const std::string& run_id, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer, const CheckpointPosition& position,
                    const std::string& shard) {
  const auto dir = results.CheckpointDir(run_id);
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  if (made)
    throw IoError(dir.string() + ": cannot create the checkpoint folder: " + made.message());
  const auto file = results.CheckpointFile(run_id, shard);
  const auto tmp = TemporaryFile(file);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail(tmp, -1, "cannot create", errno);
  CheckpointSink sink(fd);
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
    Fail(tmp, fd, e.what_without_backtrace(), 0);
  }
  if (sink.error() != 0) Fail(tmp, fd, "write failed", sink.error());
  if (::fsync(fd) != 0) Fail(tmp, fd, "fsync failed", errno);
  if (::close(fd) != 0) Fail(tmp, -1, "close failed", errno);
  // The newest becomes the previous generation, then the new file the newest. A kill between
  // the two renames leaves the previous generation (and a complete .tmp) to resume from.
  const auto previous = results.CheckpointFile(run_id, shard, /*previous_generation=*/true);
  if (std::filesystem::exists(file) && ::rename(file.c_str(), previous.c_str()) != 0) {
    Fail(tmp, -1, "cannot rename " + file.string() + " to " + previous.string(), errno);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    Fail(tmp, -1, "cannot rename to " + file.string(), errno);
  }
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
