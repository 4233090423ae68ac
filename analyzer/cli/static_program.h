// Whether a program is statically linked: the loader never runs for it, so
// LD_PRELOAD cannot reach its allocator and `heaptrail run` records nothing.
// `heaptrail run` says so instead of only "no trace was written".
//
// Thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_STATIC_PROGRAM_H_
#define HEAPTRAIL_ANALYZER_CLI_STATIC_PROGRAM_H_

#include <string>

namespace heaptrail::analyzer {

// `command` as posix_spawnp finds it: itself when it has a '/', else the
// first executable of that name in $PATH; empty when there is none.
std::string FindProgram(const std::string& command);

// True when `path` is a 64-bit ELF executable without an interpreter
// (PT_INTERP). False for anything else, unreadable files included.
bool IsStaticallyLinked(const std::string& path);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_STATIC_PROGRAM_H_
