// Starting florenz-tokenizer (cli/tokenizer_main.cc), installed beside the florenz binary:
// SentencePiece runs there because it cannot share a process with LibTorch.
#pragma once

#include <string>
#include <vector>

namespace florenz {

// Runs `florenz-tokenizer ARGS` and waits for it; its exit code (1 when it died of a signal).
// Throws IoError when it cannot be started.
int RunTokenizerProgram(const std::vector<std::string>& args);

}  // namespace florenz
