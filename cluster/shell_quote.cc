// Shell quoting and character-set checks (see shell_quote.h).
#include "cluster/shell_quote.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace florenz::cluster {

const char* const kSbatchChars = "._-/+,:=@";
const char* const kSbatchOptionChars = "._-/+,:=@&|!*[]";
const char* const kNameChars = "._-";

std::string ShellQuote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string RejectReason(const std::string& value, const char* extra) {
  if (value.empty()) return "is empty";
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') return "contains a newline";
    if (c < 0x20 || c == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof(code), "0x%02x", c);
      return std::string("contains the control character ") + code;
    }
    if (extra == nullptr || std::isalnum(c) || (c < 0x80 && std::strchr(extra, ch) != nullptr)) {
      continue;
    }
    if (c == ' ') return "contains a space";
    if (c >= 0x80) return "contains a non-ASCII character";
    return std::string("contains '") + ch + "'";
  }
  return "";
}

std::string DescribeChars(const char* extra) {
  std::string text = "letters, digits and";
  for (const char* c = extra; *c != '\0'; ++c) text += std::string(" ") + *c;
  return text;
}

}  // namespace florenz::cluster
