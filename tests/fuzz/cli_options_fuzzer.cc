// Fuzzes the command line: the input, split at NUL bytes, is argv[1..].
// `run` and `snapshot` act on the system (start programs, send signals), so
// inputs naming them are skipped, and so are arguments with a '/': the
// fuzzer runs in an empty temporary directory and touches nothing else.

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char directory[] = "/tmp/heaptrail-cli-fuzz.XXXXXX";
  if (mkdtemp(directory) == nullptr || chdir(directory) != 0) abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string> args = {"heaptrail"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(current);
  for (const std::string& arg : args) {
    if (arg == "run" || arg == "snapshot" || arg.find('/') != std::string::npos) return 0;
  }
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  heaptrail::analyzer::RunCli(static_cast<int>(argv.size()), argv.data(), out, err,
                              /*err_is_terminal=*/false);
  return 0;
}
