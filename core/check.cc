// FailedCallMessage and SourceRelativePath (check.h).
#include "core/check.h"

namespace florenz {

std::string_view SourceRelativePath(std::string_view file) {
  constexpr std::string_view root = FLORENZ_SOURCE_DIR "/";
  return file.substr(0, root.size()) == root ? file.substr(root.size()) : file;
}

std::string FailedCallMessage(std::string_view call, std::string_view file, int line,
                              std::string_view detail) {
  std::string message(call);
  message += " failed at ";
  message += SourceRelativePath(file);
  message += ":" + std::to_string(line) + ": ";
  message += detail;
  return message;
}

}  // namespace florenz
