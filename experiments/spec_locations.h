// Where each value of a loaded grid came from, and the list of problems found in it.
// Validation runs on the freshly read spec (same addresses) so every error can name
// FILE:LINE:COLUMN of the value at fault.
#pragma once

#include <map>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace florenz {

class SpecLocations {
 public:
  explicit SpecLocations(std::string file = "") : file_(std::move(file)) {}

  // Remembers that `member` was read from `where`. Keyed by address and type, since a
  // struct and its first member share an address.
  template <class T>
  void Record(const T& member, const SourceLocation& where) {
    map_[{static_cast<const void*>(&member), std::type_index(typeid(T))}] = where;
  }

  // Where `member` was read from; the file alone when it was not in the file (a default).
  template <class T>
  SourceLocation Of(const T& member) const {
    auto it = map_.find({static_cast<const void*>(&member), std::type_index(typeid(T))});
    if (it != map_.end()) return it->second;
    return SourceLocation{file_, 0, 0};
  }

  // Where `member` was read from, or `fallback`'s location when it was not in the file.
  template <class T, class U>
  SourceLocation OfOr(const T& member, const U& fallback) const {
    SourceLocation where = Of(member);
    return where.line > 0 ? where : Of(fallback);
  }

  const std::string& file() const { return file_; }

 private:
  std::map<std::pair<const void*, std::type_index>, SourceLocation> map_;
  std::string file_;
};

// Problems found while reading and validating one grid file.
class Diagnostics {
 public:
  void Error(const SourceLocation& where, const std::string& message) {
    messages_.push_back(where.ToString() + ": " + message);
  }
  bool empty() const { return messages_.empty(); }
  const std::vector<std::string>& messages() const { return messages_; }
  // Throws ConfigError with every message, if there is any.
  void ThrowIfAny() const {
    if (!messages_.empty()) throw ConfigError(messages_);
  }

 private:
  std::vector<std::string> messages_;
};

}  // namespace florenz
