// Formatting of florenz's error types.
#include "core/errors.h"

namespace florenz {
namespace {

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return file + ":" + std::to_string(line);  // no column known: none printed
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(std::vector<std::string> messages)
    : std::runtime_error(JoinLines(messages)), messages_(std::move(messages)) {}

ConfigError::ConfigError(const SourceLocation& where, const std::string& message)
    : ConfigError(std::vector<std::string>{where.ToString() + ": " + message}) {}

}  // namespace florenz
