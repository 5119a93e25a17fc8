// "Did you mean …" suggestions for misspelled keys, presets and names in grid files.
#pragma once

#include <string>
#include <vector>

namespace florenz {

// The candidate closest to `word` by edit distance, if it is close enough to be a plausible
// typo (distance ≤ max(2, |word| / 3)); otherwise "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — ready to append to an error message.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

// Levenshtein distance (insert, delete, substitute; each costs 1).
int EditDistance(const std::string& a, const std::string& b);

}  // namespace florenz
