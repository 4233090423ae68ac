// RunProgram and its testable parts: preload lookup, output naming,
// environment, and the list of trace files a run produced.

#include "cli/run_command.h"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/signal_names.h"
#include "cli/python_program.h"
#include "cli/static_program.h"

extern char** environ;

namespace heaptrail::analyzer {
namespace {

constexpr std::string_view kPreloadRelativePath = "../lib/libheaptrail.so";
// The preload's own limits (preload/config.cc): refuse here what it would
// ignore with a warning.
constexpr int kMaxDepth = 256;
constexpr double kMaxIntervalSeconds = 1e9;

std::string DirName(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string CurrentDirectory() {
  std::string buffer(4096, '\0');
  while (::getcwd(buffer.data(), buffer.size()) == nullptr) {
    if (errno != ERANGE) return ".";
    buffer.resize(buffer.size() * 2);
  }
  buffer.resize(std::strlen(buffer.c_str()));
  return buffer;
}

std::string SelfExecutable() {
  std::string buffer(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size());
  if (n <= 0) return "";
  buffer.resize(static_cast<size_t>(n));
  return buffer;
}

// Name -> (inode, mtime) of the files in `directory` matching `pattern`.
using FileStamps = std::map<std::string, std::pair<ino_t, struct timespec>>;

FileStamps ListTraceFiles(const std::string& directory,
                          std::string_view pattern) {
  FileStamps files;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return files;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (!MatchesTracePattern(pattern, name)) continue;
    struct stat st;
    const std::string path = absl::StrCat(directory, "/", std::string(name));
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    files[std::string(name)] = {st.st_ino, st.st_mtim};
  }
  ::closedir(dir);
  return files;
}

bool SameStamp(const std::pair<ino_t, struct timespec>& a,
               const std::pair<ino_t, struct timespec>& b) {
  return a.first == b.first && a.second.tv_sec == b.second.tv_sec &&
         a.second.tv_nsec == b.second.tv_nsec;
}

// Removes a trace left at a literal output path: the preload creates its
// file with O_EXCL and would otherwise pick another name.
absl::Status PrepareOutput(const std::string& pattern) {
  const std::string directory = DirName(pattern);
  struct stat st;
  if (::stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot write the trace: directory %s does not exist", directory));
  }
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot write the trace: directory %s is not writable", directory));
  }
  if (absl::StrContains(pattern, "%p")) return absl::OkStatus();
  const std::string path = ExpandPattern(pattern, 0);
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();
  if (S_ISREG(st.st_mode)) {
    if (::unlink(path.c_str()) != 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("cannot replace %s: %s", path, std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s exists and is not a regular file; choose another output path", path));
}

// Dispositions of the signals a waiting shell ignores.
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGINT, &ignore, &saved_int_);
    ::sigaction(SIGQUIT, &ignore, &saved_quit_);
  }
  ~IgnoreInterrupts() {
    ::sigaction(SIGINT, &saved_int_, nullptr);
    ::sigaction(SIGQUIT, &saved_quit_, nullptr);
  }
  // The program gets the default for those that were not already ignored
  // when heaptrail started (nohup and friends must keep working).
  void AddDefaults(sigset_t* set) const {
    if (saved_int_.sa_handler != SIG_IGN) sigaddset(set, SIGINT);
    if (saved_quit_.sa_handler != SIG_IGN) sigaddset(set, SIGQUIT);
  }

 private:
  struct sigaction saved_int_ {};
  struct sigaction saved_quit_ {};
};

}  // namespace

absl::StatusOr<std::string> FindPreload(const std::string& exe_path) {
  const std::string path =
      absl::StrCat(DirName(exe_path), "/", std::string(kPreloadRelativePath));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::NotFoundError(absl::StrFormat(
        "the preload library is missing: %s (is heaptrail built or installed "
        "completely?)",
        path));
  }
  return path;
}

std::string OutputPattern(const RunOptions& options, const std::string& cwd) {
  std::string pattern = options.output;
  if (pattern.empty()) {
    std::string program(
        BaseName(options.command.empty() ? "program" : options.command[0]));
    // A '%' in the program's name must not become a pattern directive.
    std::string escaped;
    for (char c : program) {
      escaped += c;
      if (c == '%') escaped += '%';
    }
    pattern = absl::StrCat("heaptrail.", escaped, ".%p.trace");
  }
  if (!absl::StartsWith(pattern, "/"))
    pattern = absl::StrCat(cwd, "/", pattern);
  return pattern;
}

std::string ExpandPattern(std::string_view pattern, pid_t pid) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'p') {
      absl::StrAppend(&out, pid);
      ++i;
    } else if (pattern[i] == '%' && i + 1 < pattern.size() &&
               pattern[i + 1] == '%') {
      out += '%';
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Matches `name` against `pattern` from the given positions; %p is one or
// more digits, and the name may end with ".N" after the pattern.
bool MatchFrom(std::string_view pattern, size_t p, std::string_view name,
               size_t n) {
  while (p < pattern.size()) {
    if (pattern[p] == '%' && p + 1 < pattern.size() && pattern[p + 1] == 'p') {
      size_t digits = n;
      while (digits < name.size() && IsDigit(name[digits])) ++digits;
      for (size_t end = digits; end > n; --end) {
        if (MatchFrom(pattern, p + 2, name, end)) return true;
      }
      return false;
    }
    char expected = pattern[p];
    size_t advance = 1;
    if (pattern[p] == '%' && p + 1 < pattern.size() && pattern[p + 1] == '%') {
      advance = 2;
    }
    if (n >= name.size() || name[n] != expected) return false;
    p += advance;
    ++n;
  }
  // Up to two ".N" suffixes: a followed child's ".<pid>", then the ".1"
  // of a program it exec'd (the name was taken by the child's own trace).
  for (int suffixes = 0; suffixes < 2 && n < name.size(); ++suffixes) {
    if (name[n] != '.' || n + 1 == name.size() || !IsDigit(name[n + 1])) {
      return false;
    }
    for (++n; n < name.size() && IsDigit(name[n]); ++n) {
    }
  }
  return n == name.size();
}

}  // namespace

bool MatchesTracePattern(std::string_view pattern, std::string_view name) {
  return MatchFrom(pattern, 0, name, 0);
}

absl::StatusOr<std::vector<std::string>> BuildEnvironment(
    const std::vector<std::string>& environment, const std::string& preload,
    const std::string& output_pattern, const RunOptions& options,
    pid_t launcher_pid, bool python_program) {
  std::vector<std::pair<std::string, std::string>> settings;
  settings.emplace_back("HEAPTRAIL_OUTPUT", output_pattern);
  settings.emplace_back("HEAPTRAIL_LAUNCHER_PID", absl::StrCat(launcher_pid));
  if (!options.snapshot_signal.empty()) {
    if (options.snapshot_signal == "none") {
      settings.emplace_back("HEAPTRAIL_SNAPSHOT_SIGNAL", "none");
    } else {
      absl::StatusOr<int> signal = ParseSnapshotSignal(options.snapshot_signal);
      if (!signal.ok()) return signal.status();
      settings.emplace_back("HEAPTRAIL_SNAPSHOT_SIGNAL", absl::StrCat(*signal));
    }
  }
  if (options.snapshot_interval_s.has_value()) {
    const double seconds = *options.snapshot_interval_s;
    if (!std::isfinite(seconds) || seconds <= 0 ||
        seconds >= kMaxIntervalSeconds) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid snapshot interval %g (expected seconds > 0)", seconds));
    }
    settings.emplace_back("HEAPTRAIL_SNAPSHOT_INTERVAL",
                          absl::StrFormat("%.17g", seconds));
  }
  if (options.depth.has_value()) {
    if (*options.depth < 1 || *options.depth > kMaxDepth) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid stack depth %d (expected 1..%d)",
                          *options.depth, kMaxDepth));
    }
    settings.emplace_back("HEAPTRAIL_DEPTH", absl::StrCat(*options.depth));
  }
  if (options.follow_fork) settings.emplace_back("HEAPTRAIL_FOLLOW_FORK", "1");
  if (options.free_stacks) settings.emplace_back("HEAPTRAIL_FREE_STACKS", "1");
  if (options.rows) settings.emplace_back("HEAPTRAIL_COMPACT", "0");
  if (options.leak_kinds) settings.emplace_back("HEAPTRAIL_LEAK_KINDS", "1");
  const bool python_allocator_chosen =
      std::any_of(environment.begin(), environment.end(),
                  [](const std::string& entry) {
                    return entry.starts_with("PYTHONMALLOC=");
                  });
  if (python_program && !options.pymalloc && !python_allocator_chosen) {
    settings.emplace_back("PYTHONMALLOC", "malloc");
  }

  std::vector<std::string> result;
  std::string ld_preload = preload;
  for (const std::string& entry : environment) {
    const std::string_view name =
        std::string_view(entry).substr(0, entry.find('='));
    if (name == "LD_PRELOAD") {
      const std::string_view value = std::string_view(entry).substr(
          std::min(entry.size(), name.size() + 1));
      if (!value.empty()) absl::StrAppend(&ld_preload, ":", std::string(value));
      continue;
    }
    const bool overridden = std::any_of(
        settings.begin(), settings.end(),
        [name](const auto& setting) { return setting.first == name; });
    if (!overridden) result.push_back(entry);
  }
  result.push_back(absl::StrCat("LD_PRELOAD=", ld_preload));
  for (const auto& [name, value] : settings) {
    result.push_back(absl::StrCat(name, "=", value));
  }
  return result;
}

int RunProgram(const RunOptions& options, std::ostream& err,
               std::string* main_trace) {
  if (options.command.empty() || options.command[0].empty()) {
    err << "heaptrail: error: no program to run (heaptrail run -- PROGRAM "
           "[ARGS...])\n";
    return kExitRunFailed;
  }
  const absl::StatusOr<std::string> preload = FindPreload(SelfExecutable());
  if (!preload.ok()) {
    err << "heaptrail: error: " << preload.status().message() << "\n";
    return kExitRunFailed;
  }
  const std::string pattern = OutputPattern(options, CurrentDirectory());
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry)
    environment.emplace_back(*entry);
  const absl::StatusOr<std::vector<std::string>> child_environment =
      BuildEnvironment(environment, *preload, pattern, options, ::getpid(),
                       IsPythonProgram(FindProgram(options.command[0])));
  if (!child_environment.ok()) {
    err << "heaptrail: error: " << child_environment.status().message() << "\n";
    return kExitRunFailed;
  }
  if (absl::Status status = PrepareOutput(pattern); !status.ok()) {
    err << "heaptrail: error: " << status.message() << "\n";
    return kExitRunFailed;
  }
  const std::string directory = DirName(pattern);
  const std::string pattern_name(BaseName(pattern));
  const bool can_list = !absl::StrContains(directory, "%p");
  const FileStamps before =
      can_list ? ListTraceFiles(directory, pattern_name) : FileStamps();

  std::vector<char*> argv;
  for (const std::string& arg : options.command)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& entry : *child_environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);

  pid_t pid = 0;
  int wait_status = 0;
  {
    IgnoreInterrupts interrupts;
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    interrupts.AddDefaults(&defaults);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    const int error = ::posix_spawnp(&pid, argv[0], nullptr, &attributes,
                                     argv.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
      err << "heaptrail: error: cannot execute " << options.command[0] << ": "
          << std::strerror(error) << "\n";
      return kExitCannotExecute;
    }
    while (::waitpid(pid, &wait_status, 0) < 0) {
      if (errno != EINTR) {
        err << "heaptrail: error: waiting for the program: "
            << std::strerror(errno) << "\n";
        return kExitRunFailed;
      }
    }
  }

  // The trace files this run produced: the program's, then those of the
  // processes it forked (when followed), new or rewritten since the start.
  const std::string main_path = ExpandPattern(pattern, pid);
  std::vector<std::string> written;
  struct stat st;
  if (::stat(main_path.c_str(), &st) == 0) {
    written.push_back(main_path);
    if (main_trace != nullptr) *main_trace = main_path;
  }
  if (can_list) {
    for (const auto& [name, stamp] : ListTraceFiles(directory, pattern_name)) {
      const auto old = before.find(name);
      if (old != before.end() && SameStamp(old->second, stamp)) continue;
      const std::string path = absl::StrCat(directory, "/", std::string(name));
      if (path != main_path) written.push_back(path);
    }
  }
  if (written.empty()) {
    if (IsStaticallyLinked(FindProgram(options.command[0]))) {
      err << "heaptrail: " << options.command[0]
          << " is statically linked: no preloaded library can reach its "
             "allocations, so nothing was recorded\n";
    } else {
      err << "heaptrail: no trace was written (expected " << main_path << ")\n";
    }
  }
  for (const std::string& path : written) {
    err << "heaptrail: trace written to " << path << "\n";
  }

  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitRunFailed;
}

}  // namespace heaptrail::analyzer
