// The stop flag and its signal handlers (see stop_request.h). The handler touches nothing but
// one lock-free atomic, which is async-signal-safe.
#include "workers/train/stop_request.h"

#include <signal.h>

#include <atomic>

namespace florenz::train {
namespace {

std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void OnStopSignal(int signal) {
  // Ctrl-C twice: the second one ends the process at once, as a terminal user expects.
  if (signal == SIGINT && stop_signal.load(std::memory_order_relaxed) == SIGINT) {
    ::signal(SIGINT, SIG_DFL);
    ::raise(SIGINT);
    return;
  }
  stop_signal.store(signal, std::memory_order_relaxed);
}

}  // namespace

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // interrupted reads and writes resume; the step loop polls
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR2, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);  // Ctrl-C checkpoints like SIGTERM (twice: at once)
}

bool StopRequested() { return stop_signal.load(std::memory_order_relaxed) != 0; }

int StopSignal() { return stop_signal.load(std::memory_order_relaxed); }

void RequestStop(int signal) { stop_signal.store(signal, std::memory_order_relaxed); }

void ResetStopRequest() { stop_signal.store(0, std::memory_order_relaxed); }

RunInterrupted::RunInterrupted(const std::string& run_id, int64_t step, int signal)
    : std::runtime_error(run_id + ": stopped by " +
                         (signal == SIGUSR2   ? std::string("SIGUSR2")
                          : signal == SIGTERM ? std::string("SIGTERM")
                          : signal == SIGINT  ? std::string("SIGINT")
                                              : "signal " + std::to_string(signal)) +
                         " after step " + std::to_string(step) + ", checkpointed"),
      step_(step),
      signal_(signal) {}

}  // namespace florenz::train
