// A test hook for faults, compiled in but inert unless FLORENZ_FAULT is set: it makes a
// chosen run throw, diverge, hang or kill its own process at a chosen step, so the tests of
// retries, divergence handling, lost gangs and resume can cause the failures real clusters
// have. Format: FLORENZ_FAULT="<run id or a part of it>:<throw|diverge|hang|kill|ioerror>@<step>",
// several separated by ';'. A fault fires on every attempt that reaches its step, unless
// the kind ends in "-once" (throw-once): then only while the run has no checkpoint.
#pragma once

#include <cstdint>
#include <string>

namespace florenz::train {

// kIoError: the results store failing on this rank (an IoError, as a full disk gives).
enum class FaultKind { kNone, kThrow, kDiverge, kHang, kKill, kIoError };

struct Fault {
  FaultKind kind = FaultKind::kNone;
  bool once = false;
};

// The fault FLORENZ_FAULT asks for at `step` (1-based, after that many optimizer steps) of
// run `run_id`; kNone when none.
Fault FaultAt(const std::string& run_id, int64_t step);

// Acts on throw / hang / kill; kDiverge is the trainer's to apply (it replaces the loss).
void RaiseFault(const Fault& fault, const std::string& run_id, int64_t step);

}  // namespace florenz::train
