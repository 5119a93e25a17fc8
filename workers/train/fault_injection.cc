// FLORENZ_FAULT parsing and the faults themselves (see fault_injection.h).
#include "workers/train/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/errors.h"

namespace florenz::train {

Fault FaultAt(const std::string& run_id, int64_t step) {
  const char* spec = std::getenv("FLORENZ_FAULT");
  if (spec == nullptr || *spec == '\0') return {};
  std::stringstream entries(spec);
  for (std::string entry; std::getline(entries, entry, ';');) {
    const size_t colon = entry.rfind(':'), at = entry.rfind('@');
    if (colon == std::string::npos || at == std::string::npos || at < colon) continue;
    const std::string who = entry.substr(0, colon);
    std::string kind = entry.substr(colon + 1, at - colon - 1);
    const int64_t when = std::atoll(entry.c_str() + at + 1);
    if (when != step || run_id.find(who) == std::string::npos) continue;
    Fault fault;
    const std::string suffix = "-once";
    if (kind.size() > suffix.size() &&
        kind.compare(kind.size() - suffix.size(), suffix.size(), suffix) == 0) {
      fault.once = true;
      kind.resize(kind.size() - suffix.size());
    }
    if (kind == "throw") fault.kind = FaultKind::kThrow;
    if (kind == "diverge") fault.kind = FaultKind::kDiverge;
    if (kind == "hang") fault.kind = FaultKind::kHang;
    if (kind == "kill") fault.kind = FaultKind::kKill;
    if (kind == "ioerror") fault.kind = FaultKind::kIoError;
    if (fault.kind != FaultKind::kNone) return fault;
  }
  return {};
}

void RaiseFault(const Fault& fault, const std::string& run_id, int64_t step) {
  switch (fault.kind) {
    case FaultKind::kThrow:
      throw std::runtime_error("injected fault in " + run_id + " at step " + std::to_string(step) +
                               " (FLORENZ_FAULT)");
    case FaultKind::kIoError:
      throw IoError("injected storage error in " + run_id + " at step " + std::to_string(step) +
                    " (FLORENZ_FAULT): No space left on device");
    case FaultKind::kHang:
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    case FaultKind::kKill:
      kill(getpid(), SIGKILL);
      break;
    case FaultKind::kDiverge:
    case FaultKind::kNone:
      break;
  }
}

}  // namespace florenz::train
