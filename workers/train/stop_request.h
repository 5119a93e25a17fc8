// A graceful stop asked for by a signal: SIGTERM (scancel, a preempting scheduler), SIGUSR2
// (Slurm's warning before the time limit) or SIGINT (Ctrl-C; a second Ctrl-C ends the process
// at once). The handler only sets a flag; the trainer checks it
// once per step, checkpoints at that step and throws RunInterrupted, so the job can exit for
// requeue and the same command resumes exactly where it stopped.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace florenz::train {

// Installs the SIGTERM, SIGUSR2 and SIGINT handlers (idempotent). Without it, the signals keep
// their default action (the process ends without a checkpoint).
void InstallStopHandlers();

// True once one of the signals has arrived (or RequestStop was called).
bool StopRequested();

// The signal that asked for the stop (SIGTERM, SIGUSR2, SIGINT), 0 when none has.
int StopSignal();

// As if `signal` had arrived; for tests and for callers that stop for other reasons.
void RequestStop(int signal);

// Forgets a stop request, so one process can test several stops.
void ResetStopRequest();

// Thrown by the trainer after it has checkpointed because a stop was requested. Not a
// failure: the run boundary lets it through, the grid stops, and `florenz run` exits with
// kExitRequeue; running the same command again resumes from `step`.
class RunInterrupted : public std::runtime_error {
 public:
  RunInterrupted(const std::string& run_id, int64_t step, int signal);

  int64_t step() const { return step_; }
  int signal() const { return signal_; }

 private:
  int64_t step_;
  int signal_;
};

}  // namespace florenz::train
