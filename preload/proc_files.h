// What the tracker reads of /proc: the command line and executable, read
// once, and the process's RSS and thread count, read again when asked from
// descriptors kept open.
//
// Everything is opened before the program runs (at start-up, and in a
// followed child right after the fork): a sandboxed program may kill itself
// for opening a file later (seccomp), but reading a descriptor it already
// has is allowed. A descriptor the program closed or replaced is opened
// again by name, after checking it is no longer ours.
//
// Thread-safety: OpenProcFiles() before any other use, from one thread;
// the readers are for the writer lock's holder, or for the only thread.

#ifndef HEAPTRAIL_PRELOAD_PROC_FILES_H_
#define HEAPTRAIL_PRELOAD_PROC_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace heaptrail::preload {

// Opens and reads what follows. In a forked child, again: the parent's
// descriptors describe the parent.
void OpenProcFiles();

// /proc/self/exe's target.
std::string_view ExecutablePath();

// /proc/self/cmdline: the arguments, each followed by a NUL.
std::string_view CommandLine();

// The resident set, from /proc/self/statm; false when it cannot be read.
bool ReadResidentBytes(uint64_t* bytes);

// The process's threads, from the link count of /proc/self/task; 0 when
// unknown.
uint32_t CountThreads();

// The ids of the process's threads, from /proc/self/task, up to `capacity`;
// their number.
size_t ThreadIds(pid_t* out, size_t capacity);

// /proc/self/maps as it is now, into `buffer`; its size, or -1 when it could
// not be read or did not fit. `reopen`: opened again by name first (a forked
// child: the descriptor kept describes the parent).
ssize_t ReadMaps(char* buffer, size_t size, bool reopen);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PROC_FILES_H_
