// The recorder's process-wide state, shared by the hooks and the writer.
//
// Everything here is constinit: it must be usable by the first allocation of
// the process, before any constructor has run.

#ifndef HEAPTRAIL_PRELOAD_TRACKER_H_
#define HEAPTRAIL_PRELOAD_TRACKER_H_

#include <atomic>
#include <cstdint>

#include "config.h"
#include "stack_depot.h"
#include "thread_registry.h"
#include "trace_file.h"

namespace heaptrail::preload {

enum class Mode : int {
  kUninitialized,
  kInitializing,
  kActive,    // recording
  kDisabled,  // passing everything through: not traced, or the file failed
};

struct Tracker {
  std::atomic<Mode> mode{Mode::kUninitialized};
  Config config;
  uint64_t start_tick = 0;
  uint64_t start_mono_ns = 0;
  StackDepot depot;
  ThreadRegistry threads;
  TraceFile file;
};

extern constinit Tracker tracker;

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_TRACKER_H_
