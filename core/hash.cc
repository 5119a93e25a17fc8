// Hex16 (hash.h).
#include "core/hash.h"

#include <cstdio>

namespace florenz {

std::string Hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace florenz
