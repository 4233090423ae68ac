// Config: environment parsing without allocation.

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace heaptrail::preload {
namespace {

void Warn(const char* variable, const char* value) {
  char line[512];
  int n = snprintf(line, sizeof(line), "heaptrail: ignoring %s=%s (invalid value)\n", variable, value);
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, n < int(sizeof(line)) ? n : sizeof(line) - 1);
    (void)ignored;
  }
}

bool ParseLong(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  long value = strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

int ParseSignal(const char* text) {
  long number;
  if (ParseLong(text, 1, SIGRTMAX, &number)) return static_cast<int>(number);
  if (strncmp(text, "SIG", 3) == 0) text += 3;
  static constexpr struct {
    const char* name;
    int number;
  } kNames[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},   {"WINCH", SIGWINCH},
                {"URG", SIGURG},   {"PWR", SIGPWR},   {"PROF", SIGPROF}, {"TTIN", SIGTTIN}};
  for (const auto& entry : kNames) {
    if (strcmp(text, entry.name) == 0) return entry.number;
  }
  if (strncmp(text, "RTMIN+", 6) == 0 && ParseLong(text + 6, 0, SIGRTMAX - SIGRTMIN, &number)) {
    return SIGRTMIN + static_cast<int>(number);
  }
  return 0;
}

void ExpandOutputPath(const char* pattern, pid_t pid, char* out, int out_size) {
  int n = 0;
  for (const char* p = pattern; *p != '\0' && n < out_size - 1; ++p) {
    if (p[0] == '%' && p[1] == 'p') {
      n += snprintf(out + n, out_size - n, "%d", static_cast<int>(pid));
      ++p;
    } else if (p[0] == '%' && p[1] == '%') {
      out[n++] = '%';
      ++p;
    } else {
      out[n++] = *p;
    }
    if (n > out_size - 1) n = out_size - 1;
  }
  out[n] = '\0';
}

void DescendantOutputPath(const Config& config, pid_t pid, char* out, int out_size) {
  ExpandOutputPath(config.output_pattern, pid, out, out_size);
  if (strstr(config.output_pattern, "%p") != nullptr) return;
  size_t n = strlen(out);
  snprintf(out + n, out_size - n, ".%d", static_cast<int>(pid));
}

void ReadConfig(Config& config) {
  const char* output = getenv("HEAPTRAIL_OUTPUT");
  snprintf(config.output_pattern, sizeof(config.output_pattern), "%s",
           output != nullptr && *output != '\0' ? output : "heaptrail.%p.trace");
  ExpandOutputPath(config.output_pattern, getpid(), config.output, sizeof(config.output));

  config.snapshot_signal = SIGUSR2;
  if (const char* value = getenv("HEAPTRAIL_SNAPSHOT_SIGNAL")) {
    if (strcmp(value, "none") == 0 || strcmp(value, "0") == 0) {
      config.snapshot_signal = 0;
    } else if (int signo = ParseSignal(value); signo != 0 && signo != SIGKILL && signo != SIGSTOP) {
      config.snapshot_signal = signo;
    } else {
      Warn("HEAPTRAIL_SNAPSHOT_SIGNAL", value);
    }
  }
  if (const char* value = getenv("HEAPTRAIL_DEPTH")) {
    long depth;
    if (ParseLong(value, 1, 256, &depth)) {
      config.depth = static_cast<int>(depth);
    } else {
      Warn("HEAPTRAIL_DEPTH", value);
    }
  }
  if (const char* value = getenv("HEAPTRAIL_SNAPSHOT_INTERVAL")) {
    char* end = nullptr;
    double seconds = strtod(value, &end);
    if (end != value && *end == '\0' && seconds >= 0 && seconds < 1e9) {
      config.snapshot_interval_s = seconds;
    } else {
      Warn("HEAPTRAIL_SNAPSHOT_INTERVAL", value);
    }
  }
  if (const char* value = getenv("HEAPTRAIL_FOLLOW_FORK")) {
    config.follow_fork = strcmp(value, "1") == 0 || strcmp(value, "yes") == 0;
  }
  if (const char* value = getenv("HEAPTRAIL_BUFFER_SIZE")) {
    long size;
    if (ParseLong(value, 64, 8L << 20, &size) && (size & (size - 1)) == 0) {
      config.buffer_size = static_cast<size_t>(size);
    } else {
      Warn("HEAPTRAIL_BUFFER_SIZE", value);
    }
  }
  if (const char* value = getenv("HEAPTRAIL_FREE_STACKS")) {
    config.free_stacks = strcmp(value, "1") == 0 || strcmp(value, "yes") == 0;
  }
  if (const char* value = getenv("HEAPTRAIL_COMPACT")) {
    config.compact = !(strcmp(value, "0") == 0 || strcmp(value, "no") == 0);
  }
  if (const char* value = getenv("HEAPTRAIL_PYTHON_FRAMES")) {
    config.python_frames = !(strcmp(value, "0") == 0 || strcmp(value, "no") == 0);
  }
  if (const char* value = getenv("HEAPTRAIL_LEAK_KINDS")) {
    config.leak_kinds = strcmp(value, "1") == 0 || strcmp(value, "yes") == 0;
  }
  if (const char* value = getenv("HEAPTRAIL_LAUNCHER_PID")) {
    long pid;
    if (ParseLong(value, 1, 1L << 30, &pid)) config.launcher_pid = static_cast<pid_t>(pid);
  }
}

}  // namespace heaptrail::preload
