// The small set of exceptions florenz throws where a problem is found (STYLE.md, rule 4).
// They are caught at two boundaries only: the CLI (cli/main.cc: message, exit code of
// core/exit_codes.h) and a worker's run.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace florenz {

// Where a value came from: a file and a 1-based line and column (0 when unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "FILE:LINE:COLUMN", "FILE:LINE" when only the line is known, or "FILE".
  std::string ToString() const;
};

// Bad user input: a grid, a profile, a command-line value. The CLI exits with code 2.
// Holds every problem found, each as "FILE:LINE:COLUMN: message", so one run of
// `florenz validate` shows them all.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> messages);
  ConfigError(const SourceLocation& where, const std::string& message);

  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
};

// A file or directory that cannot be read or written as florenz expects. Exit code 1.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A computation on good input that did not reach an answer: a fit that did not converge from any
// start. Not the user's input (exit code 1); the message says what the solver reported.
class SolverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run failed (exception inside training, divergence). Recorded in the run's file.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace florenz
