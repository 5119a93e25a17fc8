// Messages as byte buffers (protocol.h): the variant's index, then each field in declaration
// order — integers and doubles as their bytes, vectors and strings with their length first.
// The MPI tag is the kind, so a receiver could probe for one kind.
#include "orchestrator/protocol.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/errors.h"
#include "parallel/mpi_check.h"

namespace florenz {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

class Writer {
 public:
  template <class T>
  Writer& operator<<(const T& value) {
    static_assert(std::is_arithmetic_v<T>);
    Append(&value, sizeof(T));
    return *this;
  }
  Writer& operator<<(const std::string& text) {
    *this << static_cast<int64_t>(text.size());
    Append(text.data(), text.size());
    return *this;
  }
  Writer& operator<<(const std::vector<int>& values) {
    *this << static_cast<int64_t>(values.size());
    Append(values.data(), values.size() * sizeof(int));
    return *this;
  }
  std::vector<char> Take() { return std::move(bytes_); }

 private:
  void Append(const void* data, size_t size) {
    const char* begin = static_cast<const char*>(data);
    bytes_.insert(bytes_.end(), begin, begin + size);
  }
  std::vector<char> bytes_;
};

class Reader {
 public:
  explicit Reader(const std::vector<char>& bytes) : bytes_(bytes) {}
  template <class T>
  Reader& operator>>(T& value) {
    static_assert(std::is_arithmetic_v<T>);
    Copy(&value, sizeof(T));
    return *this;
  }
  Reader& operator>>(std::string& text) {
    text.resize(Length(1));
    Copy(text.data(), text.size());
    return *this;
  }
  Reader& operator>>(std::vector<int>& values) {
    values.resize(Length(sizeof(int)));
    Copy(values.data(), values.size() * sizeof(int));
    return *this;
  }
  void ExpectEnd() const {
    if (at_ != bytes_.size()) Fail("bytes left over");
  }

 private:
  size_t Length(size_t element) {
    int64_t length = 0;
    *this >> length;
    if (length < 0 || static_cast<uint64_t>(length) > (bytes_.size() - at_) / element) {
      Fail("a length beyond the message");
    }
    return static_cast<size_t>(length);
  }
  void Copy(void* data, size_t size) {
    if (size > bytes_.size() - at_) Fail("the message ends early");
    std::memcpy(data, bytes_.data() + at_, size);
    at_ += size;
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw RunError("protocol: a message of " + std::to_string(bytes_.size()) +
                   " bytes cannot be unpacked: " + why);
  }
  const std::vector<char>& bytes_;
  size_t at_ = 0;
};

// One function per kind and direction: the only places a field's position is known.
void Write(Writer& w, const Assign& m) { w << m.run << m.attempt << m.tag << m.ranks; }
void Read(Reader& r, Assign& m) { r >> m.run >> m.attempt >> m.tag >> m.ranks; }
void Write(Writer& w, const Progress& m) {
  w << m.run << m.step << m.steps << m.samples << m.loss << m.samples_per_second << m.seconds
    << static_cast<int8_t>(m.resumed);
}
void Read(Reader& r, Progress& m) {
  int8_t resumed = 0;
  r >> m.run >> m.step >> m.steps >> m.samples >> m.loss >> m.samples_per_second >> m.seconds >>
      resumed;
  m.resumed = resumed != 0;
}
void Write(Writer& w, const Done& m) {
  w << m.run << m.seconds << m.evaluation_seconds << m.unseen_caption;
}
void Read(Reader& r, Done& m) {
  r >> m.run >> m.seconds >> m.evaluation_seconds >> m.unseen_caption;
}
void Write(Writer& w, const Failed& m) { w << m.run << m.reason << int{m.aborted}; }
void Read(Reader& r, Failed& m) {
  int aborted = 0;
  r >> m.run >> m.reason >> aborted;
  m.aborted = aborted != 0;
}
void Write(Writer& w, const Interrupted& m) { w << m.run << m.step << m.reason; }
void Read(Reader& r, Interrupted& m) { r >> m.run >> m.step >> m.reason; }
void Write(Writer& w, const StorageFailed& m) { w << m.run << m.error; }
void Read(Reader& r, StorageFailed& m) { r >> m.run >> m.error; }
void Write(Writer& w, const BranchReady& m) { w << m.run << m.branch; }
void Read(Reader& r, BranchReady& m) { r >> m.run >> m.branch; }
void Write(Writer&, const Shutdown&) {}
void Read(Reader&, Shutdown&) {}

// The variant alternative with index `index`, read from `r`.
template <size_t I = 0>
Message ReadKind(Reader& r, int32_t index) {
  if constexpr (I == std::variant_size_v<Message>) {
    throw RunError("protocol: unknown message kind " + std::to_string(index));
  } else {
    if (index != static_cast<int32_t>(I)) return ReadKind<I + 1>(r, index);
    std::variant_alternative_t<I, Message> message;
    Read(r, message);
    return message;
  }
}

}  // namespace

const char* KindName(const Message& message) {
  return std::visit(
      Overloaded{[](const Assign&) { return "Assign"; }, [](const Progress&) { return "Progress"; },
                 [](const Done&) { return "Done"; }, [](const Failed&) { return "Failed"; },
                 [](const Interrupted&) { return "Interrupted"; },
                 [](const StorageFailed&) { return "StorageFailed"; },
                 [](const BranchReady&) { return "BranchReady"; },
                 [](const Shutdown&) { return "Shutdown"; }},
      message);
}

int RunOf(const Message& message) {
  return std::visit(
      Overloaded{[](const Shutdown&) { return -1; }, [](const auto& m) { return m.run; }}, message);
}

std::vector<char> Pack(const Message& message) {
  Writer w;
  w << static_cast<int32_t>(message.index());
  std::visit([&](const auto& m) { Write(w, m); }, message);
  return w.Take();
}

Message Unpack(const std::vector<char>& bytes) {
  Reader r(bytes);
  int32_t index = -1;
  r >> index;
  Message message = ReadKind(r, index);
  r.ExpectEnd();
  return message;
}

void Send(const Message& message, int destination, MPI_Comm comm) {
  const std::vector<char> bytes = Pack(message);
  MPI_CHECK(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination,
                     static_cast<int>(message.index()), comm));
}

std::optional<Received> TryReceive(MPI_Comm comm) {
  int flag = 0;
  MPI_Status status;
  MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status));
  if (!flag) return std::nullopt;
  int size = 0;
  MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &size));
  std::vector<char> bytes(size);
  MPI_CHECK(MPI_Recv(bytes.data(), size, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm,
                     MPI_STATUS_IGNORE));
  return Received{Unpack(bytes), status.MPI_SOURCE};
}

Received Receive(MPI_Comm comm, int poll_microseconds) {
  // Back off from 20 µs to poll_microseconds: a reply that comes at once (a busy grid of short
  // runs) is picked up within microseconds, a long wait costs almost no CPU.
  for (int pause = 20;; pause = std::min(2 * pause, poll_microseconds)) {
    if (auto received = TryReceive(comm)) return std::move(*received);
    usleep(pause);
  }
}

}  // namespace florenz
