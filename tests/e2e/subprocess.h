// Runs a program (no shell) and captures its stdout, stderr and exit status:
// what the end-to-end tests need to drive `heaptrail` like a user does.

#ifndef HEAPTRAIL_TESTS_E2E_SUBPROCESS_H_
#define HEAPTRAIL_TESTS_E2E_SUBPROCESS_H_

#include <string>
#include <vector>

namespace heaptrail::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with `extra_env` ("NAME=value") added to
// (or replacing variables of) this process's environment. Aborts the test on failure to start.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                  const std::vector<std::string>& extra_env = {});

// A program running while a test talks to it: its stdin and stdout are
// pipes (stderr is collected at the end).
class Interactive {
 public:
  explicit Interactive(const std::vector<std::string>& argv);
  ~Interactive();
  Interactive(const Interactive&) = delete;
  Interactive& operator=(const Interactive&) = delete;

  // The next line of its stdout, without the newline; empty at EOF or after
  // 60 s without one.
  std::string ReadLine();
  void WriteLine(const std::string& line);
  // Closes its stdin and waits for it; `out` is what was not read yet.
  ProcessResult Finish();

 private:
  int pid_ = -1;
  int in_ = -1;   // its stdin
  int out_ = -1;  // its stdout
  int err_ = -1;  // its stderr
  std::string pending_;
};

// A fresh empty directory under the system temporary directory.
std::string MakeTempDir();

}  // namespace heaptrail::testing

#endif  // HEAPTRAIL_TESTS_E2E_SUBPROCESS_H_
