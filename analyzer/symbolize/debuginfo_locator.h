// Finding the separate debug info of a module, the way gdb and elfutils do.
//
// Distributions strip their binaries and ship the DWARF elsewhere: under
// <debugdir>/.build-id/ab/cdef....debug (named by the GNU build-id note), or
// under the name stored in the binary's .gnu_debuglink section (next to the
// file, in its .debug/ subdirectory, or in <debugdir>/<dir of file>/), and
// dwz moves the DWARF shared by a package into a supplementary file named by
// .gnu_debugaltlink. A candidate is accepted only when it can be shown to
// belong to the module: same build-id when both carry one, otherwise the
// debuglink CRC when CRC checking is on.
//
// Nothing here ever talks to the network (no debuginfod), so the analyzer
// cannot hang on a slow server. Not thread-safe beyond what libelf allows;
// the symbolizer uses one locator per Symbolizer.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_DEBUGINFO_LOCATOR_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_DEBUGINFO_LOCATOR_H_

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heaptrail::analyzer::symbolize_internal {

// Owns a file descriptor; closes it unless Release()d.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();

 private:
  int fd_ = -1;
};

// open(path, O_RDONLY | O_CLOEXEC). libdwfl keeps the descriptors of every
// module's files open, so a process with hundreds of libraries can exceed
// the usual soft limit of 1024; on EMFILE the soft limit is raised to the
// hard limit and the open retried (as perf does).
int OpenReadOnly(const std::string& path);

// What the symbolizer needs to know about one ELF file.
struct ElfFacts {
  std::string build_id;          // raw bytes of NT_GNU_BUILD_ID; may be empty
  std::string debuglink;         // .gnu_debuglink file name; may be empty
  uint32_t debuglink_crc = 0;    // CRC-32 stored next to the debuglink name
  std::string altlink;           // .gnu_debugaltlink file name (dwz); may be empty
  std::string altlink_build_id;  // build-id of that supplementary file
  bool has_dwarf = false;        // a .debug_info with contents (not NOBITS)
};

// Reads the facts of the file open on `fd`; nullopt when it is not an ELF
// file libelf can parse. Leaves `fd` open and its offset unspecified.
std::optional<ElfFacts> ReadElfFacts(int fd);

// Lowercase hex of raw build-id bytes.
std::string BuildIdHex(std::string_view build_id);

// CRC-32 (the .gnu_debuglink flavour, same as zlib's crc32) of the whole
// file open on `fd`; nullopt on a read error.
std::optional<uint32_t> FileCrc32(int fd);

// An opened file that passed validation, and what it contains.
struct LocatedFile {
  UniqueFd fd;
  std::string path;
  ElfFacts facts;
};

class DebuginfoLocator {
 public:
  DebuginfoLocator(std::vector<std::string> debug_directories,
                   bool verify_debuglink_crc);

  // <debugdir>/.build-id/ab/cdef....debug in each debug directory, accepted
  // only when the file's own build-id is `build_id`.
  std::optional<LocatedFile> FindByBuildId(std::string_view build_id) const;

  // The separate debug info of the module file at `path`, whose facts are
  // `facts` and whose stat is `module_stat` (so that a debuglink naming the
  // file itself is not taken for its debug info). Build-id first, then the
  // debuglink locations.
  std::optional<LocatedFile> FindDebugFile(
      const std::string& path, const ElfFacts& facts,
      const struct stat& module_stat) const;

  // The dwz supplementary file `altlink` (absolute, or relative to the
  // directory of `debug_path`, the file that names it) with build-id
  // `alt_build_id`.
  std::optional<LocatedFile> FindAltFile(const std::string& debug_path,
                                         const std::string& altlink,
                                         std::string_view alt_build_id) const;

 private:
  std::vector<std::string> debug_directories_;
  bool verify_debuglink_crc_;
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_DEBUGINFO_LOCATOR_H_
