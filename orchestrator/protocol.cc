// Messages as byte buffers: a header of ints, the ranks, the values, the text.
#include "orchestrator/protocol.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "parallel/mpi_check.h"

namespace florenz {

const char* ToString(MessageKind kind) {
  switch (kind) {
    case MessageKind::kAssign:
      return "Assign";
    case MessageKind::kProgress:
      return "Progress";
    case MessageKind::kDone:
      return "Done";
    case MessageKind::kFailed:
      return "Failed";
    case MessageKind::kInterrupted:
      return "Interrupted";
    case MessageKind::kShutdown:
      return "Shutdown";
    case MessageKind::kStorageFailed:
      return "StorageFailed";
  }
  return "?";
}

namespace {

template <class T>
void Put(std::vector<char>& out, const T* data, size_t count) {
  const char* bytes = reinterpret_cast<const char*>(data);
  out.insert(out.end(), bytes, bytes + count * sizeof(T));
}

template <class T>
void Take(const std::vector<char>& in, size_t& at, T* data, size_t count) {
  std::memcpy(data, in.data() + at, count * sizeof(T));
  at += count * sizeof(T);
}

}  // namespace

void Send(const Message& message, int destination, MPI_Comm comm) {
  const int header[6] = {static_cast<int>(message.kind),
                         message.run,
                         message.attempt,
                         message.tag,
                         static_cast<int>(message.ranks.size()),
                         static_cast<int>(message.values.size())};
  std::vector<char> buffer;
  Put(buffer, header, 6);
  Put(buffer, message.ranks.data(), message.ranks.size());
  Put(buffer, message.values.data(), message.values.size());
  Put(buffer, message.text.data(), message.text.size());
  MPI_CHECK(MPI_Send(buffer.data(), static_cast<int>(buffer.size()), MPI_BYTE, destination,
                     static_cast<int>(message.kind), comm));
}

std::optional<Message> TryReceive(MPI_Comm comm) {
  int flag = 0;
  MPI_Status status;
  MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status));
  if (!flag) return std::nullopt;
  int bytes = 0;
  MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &bytes));
  std::vector<char> buffer(bytes);
  MPI_CHECK(MPI_Recv(buffer.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm,
                     MPI_STATUS_IGNORE));
  int header[6];
  size_t at = 0;
  Take(buffer, at, header, 6);
  Message message;
  message.kind = static_cast<MessageKind>(header[0]);
  message.run = header[1];
  message.attempt = header[2];
  message.tag = header[3];
  message.ranks.resize(header[4]);
  message.values.resize(header[5]);
  Take(buffer, at, message.ranks.data(), message.ranks.size());
  Take(buffer, at, message.values.data(), message.values.size());
  message.text.assign(buffer.data() + at, buffer.size() - at);
  message.source = status.MPI_SOURCE;
  return message;
}

Message Receive(MPI_Comm comm, int poll_microseconds) {
  // Back off from 20 µs to poll_microseconds: a reply that comes at once (a busy grid of short
  // runs) is picked up within microseconds, a long wait costs almost no CPU.
  for (int pause = 20;; pause = std::min(2 * pause, poll_microseconds)) {
    if (auto message = TryReceive(comm)) return *message;
    usleep(pause);
  }
}

}  // namespace florenz
