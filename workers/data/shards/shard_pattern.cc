// Brace expansion of shard patterns (shard_pattern.h).
#include "workers/data/shards/shard_pattern.h"

#include <cctype>
#include <cstdio>

#include "core/errors.h"
#include "core/strings.h"

namespace florenz::data {
namespace {

constexpr size_t kMaxShards = 1000000;

[[noreturn]] void Fail(const std::string& pattern, const std::string& why) {
  throw ConfigError(SourceLocation{pattern, 0, 0}, "shard pattern: " + why);
}

bool IsNumber(const std::string& text) {
  if (text.empty() || text.size() > 18) return false;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The alternatives of one brace group's inside: "000..012" or "a,b,c".
std::vector<std::string> Alternatives(const std::string& inside, const std::string& pattern) {
  const size_t dots = inside.find("..");
  if (dots == std::string::npos) {
    std::vector<std::string> list = Split(inside, ',');
    if (list.empty()) Fail(pattern, "an empty brace group {}");
    return list;
  }
  const std::string first = inside.substr(0, dots), last = inside.substr(dots + 2);
  if (!IsNumber(first) || !IsNumber(last)) {
    Fail(pattern, "{" + inside + "} is not a range of numbers like {000000..000127}");
  }
  const long long from = std::stoll(first), to = std::stoll(last);
  if (to < from) Fail(pattern, "{" + inside + "} runs backwards");
  if (static_cast<unsigned long long>(to - from) >= kMaxShards) {
    Fail(pattern, "{" + inside + "} names more than 1,000,000 shards");
  }
  const int width = first.size() > 1 && first[0] == '0' ? static_cast<int>(first.size()) : 0;
  std::vector<std::string> values;
  for (long long v = from; v <= to; ++v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%0*lld", width, v);
    values.push_back(buffer);
  }
  return values;
}

void Expand(const std::string& rest, const std::string& prefix, const std::string& pattern,
            std::vector<std::string>* out) {
  const size_t open = rest.find('{');
  const size_t stray = rest.find('}');
  if (open == std::string::npos) {
    if (stray != std::string::npos) Fail(pattern, "a '}' without its '{'");
    out->push_back(prefix + rest);
    if (out->size() > kMaxShards) Fail(pattern, "it names more than 1,000,000 shards");
    return;
  }
  if (stray < open) Fail(pattern, "a '}' without its '{'");
  const size_t close = rest.find('}', open);
  if (close == std::string::npos) Fail(pattern, "a '{' without its '}'");
  const std::string inside = rest.substr(open + 1, close - open - 1);
  if (inside.find('{') != std::string::npos) Fail(pattern, "nested braces");
  for (const std::string& alternative : Alternatives(inside, pattern)) {
    Expand(rest.substr(close + 1), prefix + rest.substr(0, open) + alternative, pattern, out);
  }
}

}  // namespace

std::vector<std::string> ExpandShardPattern(const std::string& pattern) {
  std::vector<std::string> shards;
  size_t begin = 0;
  for (;;) {
    const size_t end = pattern.find("::", begin);
    const std::string one = pattern.substr(begin, end == std::string::npos ? end : end - begin);
    if (one.empty()) Fail(pattern, "an empty pattern");
    Expand(one, "", pattern, &shards);
    if (end == std::string::npos) break;
    begin = end + 2;
  }
  return shards;
}

}  // namespace florenz::data
