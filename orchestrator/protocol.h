// The coordinator ↔ worker protocol of `florenz run` under mpirun (DESIGN.md, "Process
// model"): one message type, tagged by kind, sent point-to-point over the job's own duplicate
// of MPI_COMM_WORLD. Receivers poll (MPI_Iprobe, then a short sleep) instead of blocking in
// MPI_Recv, whose busy-wait would take a core from training on a small node.
//
//   coordinator → member   Assign{run, attempt, ranks}   build the gang, train the run
//   leader → coordinator   Progress{run, step, samples, loss, samples/s}   also the heartbeat
//   leader → coordinator   Done{run, seconds, unseen CE} | Failed{run, reason}
//                          | Interrupted{run, step}  (checkpointed after SIGTERM / SIGUSR2)
//                          | StorageFailed{run, error}  (the store could not be written)
//   coordinator → worker   Shutdown                     leave the worker loop
#pragma once

#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

namespace florenz {

enum class MessageKind : int {
  kAssign = 1,
  kProgress = 2,
  kDone = 3,
  kFailed = 4,
  kInterrupted = 5,
  kShutdown = 6,
  // The results folder or a checkpoint could not be written (a full disk, a vanished folder):
  // not a verdict on the run, which keeps its last checkpoint; the job stops with exit 1.
  kStorageFailed = 7,
};
const char* ToString(MessageKind kind);

struct Message {
  MessageKind kind = MessageKind::kShutdown;
  int run = -1;            // index of the run in the grid's expansion (the same grid on every rank)
  int attempt = 0;         // Assign: 0 for the first attempt of this job
  int tag = 0;             // Assign: the gang-creation tag (MPI_Comm_create_group)
  std::vector<int> ranks;  // Assign: the gang's world ranks, gang order (tp fastest)
  std::vector<double> values;  // Progress: step, samples, loss, samples/s; Done: seconds, CE
  std::string text;            // Failed: the reason
  int source = -1;             // filled by Receive
};

// Sends `message` to `destination` (blocking; messages are small, so this returns at once).
void Send(const Message& message, int destination, MPI_Comm comm);
// The next message from any rank, if one has arrived; never blocks.
std::optional<Message> TryReceive(MPI_Comm comm);
// Waits for the next message, sleeping between polls: 20 µs at first, doubling up to
// `poll_microseconds`.
Message Receive(MPI_Comm comm, int poll_microseconds = 2000);

}  // namespace florenz
