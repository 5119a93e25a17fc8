// Split, SplitNonEmpty, HumanCount and Excerpt (strings.h).
#include "core/strings.h"

#include <cstdio>

namespace florenz {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> fields;
  if (text.empty()) return fields;
  size_t begin = 0;
  for (;;) {
    const size_t end = text.find(separator, begin);
    fields.push_back(
        text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return fields;
    begin = end + 1;
  }
}

std::vector<std::string> SplitNonEmpty(const std::string& text, char separator) {
  std::vector<std::string> fields;
  for (auto& field : Split(text, separator)) {
    if (!field.empty()) fields.push_back(std::move(field));
  }
  return fields;
}

std::string HumanCount(double value) {
  static const char* const kSuffixes[] = {"", "k", "M", "G", "T", "P"};
  int k = 0;
  while (value >= 999.5 && k < 5) {
    value /= 1000;
    ++k;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g%s", value, kSuffixes[k]);
  return buffer;
}

std::string Excerpt(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  // Back off continuation bytes (10xxxxxx) so that no UTF-8 character is cut in two.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "… (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace florenz
