// Small string helpers every folder shares (core/: the standard library only).
#pragma once

#include <string>
#include <vector>

namespace florenz {

// The fields of `text` between `separator`s, empty fields kept: "a,,b" → {"a", "", "b"},
// "a," → {"a", ""}, "" → {}. Callers that ignore empty fields filter them (SplitNonEmpty).
std::vector<std::string> Split(const std::string& text, char separator);

// Split without the empty fields: "a,,b," → {"a", "b"}.
std::vector<std::string> SplitNonEmpty(const std::string& text, char separator);

// 87234 -> "87.2k", 4236000 -> "4.24M"; 3 significant digits.
std::string HumanCount(double value);

}  // namespace florenz
