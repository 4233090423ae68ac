// A read-only mapping of a file, read under a guard: a file that shrinks
// while it is mapped (another program truncating it) raises SIGBUS on the
// pages past its new end, and the guard turns that into a failed read on the
// thread that touched them instead of killing the process.
//
// The guard is a SIGBUS handler installed once per process: for an address
// inside a mapping that the faulting thread is reading under Read(), it
// jumps back out of Read() (siglongjmp); any other SIGBUS goes to the
// handler that was there before, or gets the default action.
//
// Thread-safety: Read() may run on any thread, on any mapping; one mapping
// is not moved while it is read.

#ifndef HEAPTRAIL_ANALYZER_TRACE_MAPPED_FILE_H_
#define HEAPTRAIL_ANALYZER_TRACE_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/functional/function_ref.h"

namespace heaptrail::analyzer {

class MappedFile {
 public:
  // The first `size` bytes of `fd`; an empty mapping when `size` is 0 or the
  // file cannot be mapped (the caller reads it another way).
  MappedFile(int fd, uint64_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  bool mapped() const { return !bytes_.empty(); }
  std::span<const uint8_t> bytes() const { return bytes_; }

  // Runs `read`, which reads bytes() and may be cut short at any point
  // (C code only: no destructor between here and the fault runs): false
  // when it was, because the file shrank under it.
  bool Read(absl::FunctionRef<void()> read) const;

  // Unmaps the whole pages before `offset` from the process (they stay in
  // the page cache, and would be mapped again if read): what was read is
  // not counted in the reader's resident memory.
  void ReleaseBefore(uint64_t offset);

 private:
  std::span<const uint8_t> bytes_;
  uint64_t released_ = 0;  // bytes released from the start
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_MAPPED_FILE_H_
