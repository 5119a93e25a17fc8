// The coordinator ↔ worker protocol of `florenz run` under mpirun (DESIGN.md, "Process
// model"): one struct per message kind, sent point-to-point over the job's own duplicate of
// MPI_COMM_WORLD. Every field is named here and packed and unpacked in protocol.cc only, so a
// new field is one edit the compiler checks. Receivers poll (MPI_Iprobe, then a short sleep)
// instead of blocking in MPI_Recv, whose busy-wait would take a core from training on a small
// node.
//
//   coordinator → member   Assign          build the gang, train the run
//   leader → coordinator   Progress        also the heartbeat
//   leader → coordinator   BranchReady     a trunk wrote a branch's starting checkpoint
//   member → coordinator   Done | Failed | Interrupted | StorageFailed   how the run ended
//                          (every member of a gang: the gang is free once all have left)
//   coordinator → worker   Shutdown        leave the worker loop
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace florenz {

// Runs are named by their index in the grid's expansion (the same list on every rank).
struct Assign {
  int run = -1;
  int attempt = 0;         // 0 for the first attempt of this job
  int tag = 0;             // the gang-creation tag (MPI_Comm_create_group)
  std::vector<int> ranks;  // the gang's world ranks, gang order (tp fastest)
};

struct Progress {
  int run = -1;
  int64_t step = 0;   // optimizer steps done
  int64_t steps = 0;  // steps of the whole run
  int64_t samples = 0;
  double loss = 0;                // latest training loss
  double samples_per_second = 0;  // of this attempt
  double seconds = 0;             // of this attempt
  bool resumed = false;           // this attempt continued from a checkpoint
};

struct Done {
  int run = -1;
  double seconds = 0;             // training and evaluation
  double evaluation_seconds = 0;  // of which evaluation
  double unseen_caption = 0;      // final unseen-caption cross-entropy; NaN when not evaluated
};

// Every member of a gang sends how the run ended for it (the leader's Done carries the
// figures). A member that left only because another member failed says so (`aborted`): the
// coordinator reports the failing member's reason, and frees the gang once every member left.
struct Failed {
  int run = -1;
  std::string reason;
  bool aborted = false;  // left because another member of the gang failed
};

// Checkpointed after SIGTERM / SIGUSR2; the same command resumes it.
struct Interrupted {
  int run = -1;
  int64_t step = 0;  // the step of its checkpoint
  std::string reason;
};

// The results folder or a checkpoint could not be written (a full disk, a vanished folder):
// not a verdict on the run, which keeps its last checkpoint; the job stops with exit 1.
struct StorageFailed {
  int run = -1;
  std::string error;
};

// A trunk (training.branching) wrote the checkpoint its branch `branch` starts from: the
// branch may be scheduled.
struct BranchReady {
  int run = -1;     // the trunk
  int branch = -1;  // the branch, also by its index in the grid's expansion
};

struct Shutdown {};

using Message =
    std::variant<Assign, Progress, Done, Failed, Interrupted, StorageFailed, BranchReady, Shutdown>;

// "Assign", "Progress", …, the struct's name.
const char* KindName(const Message& message);
// The run a message is about; -1 for Shutdown.
int RunOf(const Message& message);

// The bytes of a message (its kind first) and back. Unpack throws RunError for a buffer that is
// not one Pack wrote (wrong kind, short, or with bytes left over).
std::vector<char> Pack(const Message& message);
Message Unpack(const std::vector<char>& bytes);

struct Received {
  Message message;
  int source = -1;  // the sender's rank in the communicator
};

// Sends `message` to `destination` (blocking; messages are small, so this returns at once).
void Send(const Message& message, int destination, MPI_Comm comm);
// The next message from any rank, if one has arrived; never blocks.
std::optional<Received> TryReceive(MPI_Comm comm);
// Waits for the next message, sleeping between polls: 20 µs at first, doubling up to
// `poll_microseconds`.
Received Receive(MPI_Comm comm, int poll_microseconds = 2000);

}  // namespace florenz
