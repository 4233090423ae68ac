// FindTracedProcess (via /proc) and RequestSnapshot (label file, sigqueue,
// acknowledgement).

#include "cli/snapshot_request.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/signal_names.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::analyzer {
namespace {

constexpr int kDefaultSignal = SIGUSR2;
constexpr std::string_view kSignalVariable = "HEAPTRAIL_SNAPSHOT_SIGNAL";

std::string ProcPath(pid_t pid, std::string_view rest) {
  return absl::StrCat("/proc/", pid, "/", std::string(rest));
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot read %s: %s", path, std::strerror(errno)));
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// True when the descriptor's file starts with the trace magic.
bool IsTraceFile(const std::string& fd_path) {
  const int fd = ::open(fd_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char magic[sizeof(format::kFileMagic)];
  const bool is_trace =
      ::pread(fd, magic, sizeof(magic), 0) == sizeof(magic) &&
      std::memcmp(magic, format::kFileMagic, sizeof(magic)) == 0;
  ::close(fd);
  return is_trace;
}

// The preload moves its trace file to a descriptor >= this (trace_file.cc).
constexpr int kPreloadFirstFd = 1000;

// Orders candidate descriptors: the preload's is the lowest at or above
// kPreloadFirstFd; below it (the move failed), the highest. A program that
// reads traces itself (heaptrail traced) has its own at low numbers.
bool Preferred(int fd, int than) {
  if (than < 0) return true;
  if ((fd >= kPreloadFirstFd) != (than >= kPreloadFirstFd)) {
    return fd >= kPreloadFirstFd;
  }
  return fd >= kPreloadFirstFd ? fd < than : fd > than;
}

// The path of the process's trace file, or empty.
std::string FindTracePath(pid_t pid) {
  const std::string fd_dir = ProcPath(pid, "fd");
  DIR* dir = ::opendir(fd_dir.c_str());
  if (dir == nullptr) return "";
  std::string found;
  int found_fd = -1;
  while (const dirent* entry = ::readdir(dir)) {
    int fd = -1;
    const std::string_view name = entry->d_name;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec !=
            std::errc() ||
        !Preferred(fd, found_fd)) {
      continue;
    }
    const std::string link = absl::StrCat(fd_dir, "/", std::string(name));
    char target[4096];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof(target));
    if (n <= 0 || target[0] != '/' || !IsTraceFile(link)) continue;
    found.assign(target, static_cast<size_t>(n));
    found_fd = fd;
  }
  ::closedir(dir);
  return found;
}

// The sigqueue() value: a nonce and flags, as preload/snapshot.cc reads it.
constexpr uint32_t kLeaksFlag = 1u << 30;
constexpr uint32_t kNudgeFlag = 1u << 29;
constexpr uint32_t kNonceMask = kNudgeFlag - 1;

// The process's HEAPTRAIL_SNAPSHOT_SIGNAL as the preload reads it: unset is
// SIGUSR2, "none" or "0" is 0 (no snapshot signal).
// The value of `name` in /proc/PID/environ's text ("NAME=value" entries
// separated by NULs); nullopt when it is not set.
std::optional<std::string_view> EnvironmentValue(const std::string& environ_text,
                                                 std::string_view name) {
  size_t start = 0;
  while (start < environ_text.size()) {
    size_t end = environ_text.find('\0', start);
    if (end == std::string::npos) end = environ_text.size();
    const std::string_view entry(environ_text.data() + start, end - start);
    if (entry.size() > name.size() && entry.starts_with(name) &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
    start = end + 1;
  }
  return std::nullopt;
}

int SignalFromEnvironment(const std::string& environ_text) {
  const std::optional<std::string_view> value =
      EnvironmentValue(environ_text, kSignalVariable);
  if (!value.has_value()) return kDefaultSignal;
  if (*value == "none" || *value == "0") return 0;
  const absl::StatusOr<int> signal = ParseSnapshotSignal(*value);
  return signal.ok() ? *signal : kDefaultSignal;
}

// HEAPTRAIL_LEAK_KINDS as the preload reads it: "1" or "yes" is on.
bool LeakKindsInEnvironment(const std::string& environ_text) {
  const std::optional<std::string_view> value =
      EnvironmentValue(environ_text, "HEAPTRAIL_LEAK_KINDS");
  return value.has_value() && (*value == "1" || *value == "yes");
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void SleepMs(int ms) {
  const timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&pause, nullptr);
}

// After the snapshot: waits for its leak kinds, nudging the process.
absl::Status WaitForLeaks(const TracedProcess& process, int signal,
                          const std::string& leaks_path, int timeout_ms) {
  constexpr int kPollMs = 10;
  constexpr int kNudgeMs = 100;
  sigval nudge{};
  nudge.sival_int = static_cast<int>(kNudgeFlag);
  for (int waited = 0; waited < timeout_ms; waited += kPollMs) {
    if (!Exists(leaks_path)) return absl::OkStatus();
    if (::kill(process.pid, 0) != 0 && errno == ESRCH) {
      ::unlink(leaks_path.c_str());
      return absl::AbortedError(absl::StrFormat(
          "process %d exited before recording the leak kinds", process.pid));
    }
    if (waited % kNudgeMs == 0 && waited != 0) {
      ::sigqueue(process.pid, signal, nudge);
    }
    SleepMs(kPollMs);
  }
  ::unlink(leaks_path.c_str());
  return absl::DeadlineExceededError(absl::StrFormat(
      "process %d did not record the leak kinds within %d s", process.pid,
      timeout_ms / 1000));
}

}  // namespace

absl::StatusOr<TracedProcess> FindTracedProcess(pid_t pid) {
  struct stat st;
  if (pid <= 0 || ::stat(ProcPath(pid, "").c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrFormat("no process %d", pid));
  }
  if (::getuid() != 0 && st.st_uid != ::getuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "process %d belongs to another user (uid %d): only its owner or root "
        "can ask it for a snapshot",
        pid, st.st_uid));
  }
  absl::StatusOr<std::string> maps = ReadWhole(ProcPath(pid, "maps"));
  if (!maps.ok()) return maps.status();
  if (!absl::StrContains(*maps, "/libheaptrail.so")) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "process %d is not traced by heaptrail (libheaptrail.so is not loaded "
        "in it; start it with heaptrail run)",
        pid));
  }
  TracedProcess process;
  process.pid = pid;
  process.trace_path = FindTracePath(pid);
  if (process.trace_path.empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "process %d has the heaptrail preload but writes no trace (a child "
        "that is not followed, or its trace failed)",
        pid));
  }
  if (absl::EndsWith(process.trace_path, " (deleted)")) {
    return absl::FailedPreconditionError(
        absl::StrFormat("the trace file of process %d was deleted", pid));
  }
  absl::StatusOr<std::string> environment = ReadWhole(ProcPath(pid, "environ"));
  if (!environment.ok()) return environment.status();
  process.snapshot_signal = SignalFromEnvironment(*environment);
  process.leak_kinds = LeakKindsInEnvironment(*environment);
  absl::StatusOr<std::string> status = ReadWhole(ProcPath(pid, "status"));
  process.sandboxed =
      status.ok() && status->find("\nSeccomp:\t0\n") == std::string::npos;
  return process;
}

absl::Status RequestSnapshot(const TracedProcess& process,
                             const SnapshotRequest& request) {
  const int signal = request.signal.value_or(process.snapshot_signal);
  if (signal == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "process %d was started with HEAPTRAIL_SNAPSHOT_SIGNAL=none: it takes "
        "no snapshot on a signal",
        process.pid));
  }
  if (request.leaks && !process.leak_kinds) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "process %d does not record leak kinds: start it with `heaptrail run "
        "--leak-kinds`",
        process.pid));
  }
  if (request.leaks && process.sandboxed) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "process %d runs under a seccomp filter, which may kill it for the "
        "clone() a leak scan needs: not asked",
        process.pid));
  }
  std::random_device random;
  std::string label_path, leaks_path;
  uint32_t nonce = 0;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    nonce = (static_cast<uint32_t>(random()) & kNonceMask) | 1;  // never 0
    label_path = absl::StrCat(process.trace_path, ".label.", nonce);
    fd = ::open(label_path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot create the label file %s: %s", label_path,
                        std::strerror(errno)));
  }
  const bool written =
      ::write(fd, request.label.data(), request.label.size()) ==
      static_cast<ssize_t>(request.label.size());
  ::close(fd);
  if (!written) {
    ::unlink(label_path.c_str());
    return absl::InternalError(absl::StrFormat("cannot write %s", label_path));
  }
  if (request.leaks) {
    leaks_path = absl::StrCat(process.trace_path, ".leaks.", nonce);
    const int leaks_fd =
        ::open(leaks_path.c_str(),
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (leaks_fd < 0) {
      ::unlink(label_path.c_str());
      return absl::PermissionDeniedError(
          absl::StrFormat("cannot create %s: %s", leaks_path,
                          std::strerror(errno)));
    }
    ::close(leaks_fd);
  }
  sigval value{};
  value.sival_int = static_cast<int>(nonce | (request.leaks ? kLeaksFlag : 0));
  if (::sigqueue(process.pid, signal, value) != 0) {
    const int error = errno;
    ::unlink(label_path.c_str());
    if (request.leaks) ::unlink(leaks_path.c_str());
    return absl::PermissionDeniedError(absl::StrFormat(
        "cannot signal process %d: %s", process.pid, std::strerror(error)));
  }
  constexpr int kPollMs = 5;
  for (int waited = 0; waited < request.timeout_ms; waited += kPollMs) {
    if (!Exists(label_path)) {
      return request.leaks ? WaitForLeaks(process, signal, leaks_path,
                                          request.leaks_timeout_ms)
                           : absl::OkStatus();
    }
    if (::kill(process.pid, 0) != 0 && errno == ESRCH) {
      ::unlink(label_path.c_str());
      return absl::AbortedError(absl::StrFormat(
          "process %d exited before recording the snapshot", process.pid));
    }
    SleepMs(kPollMs);
  }
  ::unlink(label_path.c_str());
  return absl::DeadlineExceededError(absl::StrFormat(
      "process %d did not record the snapshot within %d ms (stopped? or it "
      "replaced heaptrail's handler of signal %d: choose another with "
      "heaptrail run --snapshot-signal)",
      process.pid, request.timeout_ms, signal));
}

}  // namespace heaptrail::analyzer
