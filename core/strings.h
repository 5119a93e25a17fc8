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

// `text` as a message may quote it: whole when at most `limit` bytes, else its first `limit`
// bytes (not cutting a UTF-8 character) and "… (N bytes)", so that a hostile input (a 200 KB
// dtype in a .npy header) never floods a message or the run file that keeps it.
std::string Excerpt(const std::string& text, size_t limit = 64);

}  // namespace florenz
