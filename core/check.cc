// FailedCallMessage (check.h).
#include "core/check.h"

namespace florenz {

std::string FailedCallMessage(std::string_view call, std::string_view file, int line,
                              std::string_view detail) {
  std::string message(call);
  message += " failed at ";
  message += file;
  message += ":" + std::to_string(line) + ": ";
  message += detail;
  return message;
}

}  // namespace florenz
