// Starting florenz-tokenizer (tokenizer_process.h).
#include "cli/tokenizer_process.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <filesystem>
#include <iostream>

#include "core/errors.h"
#include "core/exit_codes.h"

extern char** environ;

namespace florenz {

int RunTokenizerProgram(const std::vector<std::string>& args) {
  const std::filesystem::path program =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "florenz-tokenizer";
  std::vector<std::string> all = {program.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw IoError(program.string() +
                  ": cannot start the tokenizer program (is florenz built completely? it is "
                  "installed beside the florenz binary)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : kExitFailure;
}

}  // namespace florenz
