// Signal name table and parsing.

#include "cli/signal_names.h"

#include <signal.h>

#include <charconv>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {
namespace {

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},
    {"ILL", SIGILL},   {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},
    {"IOT", SIGIOT},   {"BUS", SIGBUS},       {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

bool ParseInt(std::string_view text, int* value) {
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

absl::StatusOr<int> ParseNumber(std::string_view text) {
  int number = 0;
  if (ParseInt(text, &number)) return number;
  const std::string name =
      absl::AsciiStrToUpper(absl::string_view(text.data(), text.size()));
  std::string_view view = name;
  if (view.starts_with("SIG")) view.remove_prefix(3);
  for (const SignalName& entry : kSignals) {
    if (view == entry.name) return entry.number;
  }
  // RTMIN, RTMIN+n, RTMAX, RTMAX-n.
  int offset = 0;
  if (view.starts_with("RTMIN")) {
    view.remove_prefix(5);
    if (view.empty()) return SIGRTMIN;
    if (view.starts_with("+") && ParseInt(view.substr(1), &offset) &&
        offset >= 0) {
      return SIGRTMIN + offset;
    }
  } else if (view.starts_with("RTMAX")) {
    view.remove_prefix(5);
    if (view.empty()) return SIGRTMAX;
    if (view.starts_with("-") && ParseInt(view.substr(1), &offset) &&
        offset >= 0) {
      return SIGRTMAX - offset;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown signal '%s'", text));
}

}  // namespace

absl::StatusOr<int> ParseSnapshotSignal(std::string_view text) {
  absl::StatusOr<int> number = ParseNumber(text);
  if (!number.ok()) return number.status();
  if (*number < 1 || *number > SIGRTMAX) {
    return absl::InvalidArgumentError(
        absl::StrFormat("signal '%s' is out of range (1..%d)", text, SIGRTMAX));
  }
  if (*number == SIGKILL || *number == SIGSTOP) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "signal '%s' cannot be caught, so it cannot take snapshots", text));
  }
  return number;
}

}  // namespace heaptrail::analyzer
