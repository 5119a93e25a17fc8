// Making values safe for a generated batch script: single-quoting for bash, and the character
// sets that values on #SBATCH lines (which sbatch splits itself, without shell quoting) must
// keep to. Every value that reaches a script goes through one of the two.
#pragma once

#include <string>

namespace florenz::cluster {

// `value` as one bash word: wrapped in single quotes, each ' written as '\''. Nothing inside
// is expanded ($, `, \, !, globs). Callers reject control characters first (RejectReason).
std::string ShellQuote(const std::string& value);

// Letters, digits and . _ - / + , : = @ — what #SBATCH values (partition, account, memory,
// paths of output files) may hold.
extern const char* const kSbatchChars;
// kSbatchChars plus & | ! * [ ], for the values of extra options (--constraint=a100&ib).
extern const char* const kSbatchOptionChars;
// Letters, digits and . _ -: names (profiles, PMI plugins, run ids).
extern const char* const kNameChars;

// Why `value` cannot be used: "" when every character is a letter, a digit or one of `extra`
// (nullptr: any printable character); else a message naming the first bad character
// ("contains '$'", "contains a newline", "is empty").
std::string RejectReason(const std::string& value, const char* extra);

// The `extra` part of a character set, spelled for messages: "letters, digits and . _ -".
std::string DescribeChars(const char* extra);

}  // namespace florenz::cluster
