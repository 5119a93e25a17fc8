// Shard patterns as WebDataset writes them: "corpus/train-{000000..000127}.tar" names 128
// shards. A pattern may hold several brace groups, each a numeric range `{a..b}` (zero-padded
// to the width of `a` when `a` has leading zeros) or a list `{x,y,z}`; they expand left to
// right, the last varying fastest. Several patterns may be given separated by "::" (as
// WebDataset does).
#pragma once

#include <string>
#include <vector>

namespace florenz::data {

// The shard paths of `pattern`, in order. Throws ConfigError naming the pattern for an
// unbalanced brace, a range whose ends are not numbers or run backwards, or more than
// 1,000,000 shards.
std::vector<std::string> ExpandShardPattern(const std::string& pattern);

}  // namespace florenz::data
