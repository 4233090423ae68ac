// Debian ships debug files with their DWARF sections compressed (SHF_COMPRESSED,
// zlib), and libelf inflates them with zlib when libdw opens the file: for
// glibc's debug file that is ~40 ms, two thirds of a small trace's report.
// InflatedElf builds the same file with those sections already inflated, by
// libdeflate (about three times faster than zlib here), in an anonymous memory
// file, so that libelf has nothing left to inflate. Compressed DWARF that
// no symbol, file or line lookup reads (variables' locations, macros) is not
// inflated at all: its sections become SHT_NOBITS, which libdw skips (a
// small trace's report: 0.92 of the time).
//
// Only 64-bit little-endian ELF with zlib-compressed sections is rewritten:
// the inflated sections go after the original bytes, their headers point
// there, and the compressed bytes are left out (the memory file has a hole
// there). Anything unexpected (a header out of bounds, an unknown compression,
// a stream that does not inflate to its stated size, more than
// kMaxInflatedBytes) leaves the file to libelf, as before.
//
// Thread-safety: stateless.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_

#include <elf.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "symbolize/debuginfo_locator.h"

namespace heaptrail::analyzer::symbolize_internal {

// What one file's inflated sections may add up to.
inline constexpr uint64_t kMaxInflatedBytes = uint64_t{4} << 30;

// The rewriting of one file, planned from its section headers: how big the
// inflated file is, then the writing of it (into a memory file, or into
// InflatedElfCache's file).
class ElfInflation {
 public:
  // Null when the file open on `fd` has no compressed section or cannot be
  // rewritten (then use the file itself).
  static std::unique_ptr<ElfInflation> Plan(int fd);
  ~ElfInflation();
  ElfInflation(const ElfInflation&) = delete;
  ElfInflation& operator=(const ElfInflation&) = delete;

  // Bytes of the inflated file.
  uint64_t size() const { return size_; }
  // Writes the inflated file into `out_fd`, an empty writable file: sizes
  // it, reserves the bytes it writes (on a full disk or memory limit that
  // fails here, where writing through the mapping would be SIGBUS), and
  // writes. False on a failure or a stream that does not inflate to its
  // stated size.
  bool WriteTo(int out_fd) const;

 private:
  class Mapping;
  // One compressed section: where its stream is, where it inflates to.
  struct Inflation {
    size_t section;
    uint64_t from;  // the stream, after the Elf64_Chdr
    uint64_t from_size;
    uint64_t to;  // offset in the new file
    uint64_t size;  // inflated bytes
    uint64_t alignment;
  };
  ElfInflation(int fd, uint64_t size);

  std::unique_ptr<Mapping> original_;
  uint64_t original_size_;
  Elf64_Ehdr header_{};
  std::vector<Elf64_Shdr> sections_;  // as they will be, but for inflations_
  std::vector<Inflation> inflations_;
  // Byte ranges of the original not copied: the compressed streams.
  std::vector<std::pair<uint64_t, uint64_t>> skipped_;
  uint64_t size_ = 0;
};

// A memory file with the ELF file open on `fd`, compressed sections inflated;
// invalid when it has none or cannot be rewritten (then use `fd` itself).
UniqueFd InflatedElf(int fd);
// The same from a plan already made; invalid when it cannot be written.
UniqueFd InflatedInMemory(const ElfInflation& plan);

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_
