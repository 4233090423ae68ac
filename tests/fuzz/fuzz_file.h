// A file the analyzer can open by path whose content is the fuzzer's input:
// one memfd, rewritten for every input (no disk I/O, nothing left behind).

#ifndef HEAPTRAIL_TESTS_FUZZ_FUZZ_FILE_H_
#define HEAPTRAIL_TESTS_FUZZ_FUZZ_FILE_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace heaptrail::fuzzing {

// Replaces the memfd's content with `data`; returns a path to it.
inline std::string WriteFuzzFile(const void* data, size_t size) {
  static const int fd = memfd_create("heaptrail-fuzz", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 0) != 0) abort();
  if (size != 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) abort();
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace heaptrail::fuzzing

#endif  // HEAPTRAIL_TESTS_FUZZ_FUZZ_FILE_H_
