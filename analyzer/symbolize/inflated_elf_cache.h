// Keeps InflatedElf's files between reports. Inflating glibc's debug file
// is most of a small trace's report (a cc1plus trace of 5,000 events: 79 ms
// with it inflated each time, 35 ms from an inflated file), and its bytes
// never change until the package does; perf's build-id cache and
// debuginfod's client cache keep debug files the same way.
//
// An entry is named by the original file's identity (device, inode, size,
// modification time) and by the layout's version, so a file replaced by an
// upgrade is never matched; an entry whose size is not the planned one is
// replaced. A directory that another user owns, or that others may write,
// is not used: its files would be read as debug info. Entries are written
// under a temporary name, synced, then renamed
// into place: a report sees a whole entry or none, and two reports storing
// the same entry at once are harmless. After a store, the least recently
// used entries (by modification time, bumped on every use) go until the
// directory holds at most `budget` bytes. Any failure (no home directory, a
// read-only or full disk) falls back to the memory file: the cache only
// ever saves time.
//
// Thread-safety: const methods may be called from several threads.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_CACHE_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "symbolize/debuginfo_locator.h"

namespace heaptrail::analyzer::symbolize_internal {

class InflatedElfCache {
 public:
  static constexpr uint64_t kDefaultBudget = uint64_t{1} << 30;

  // Entries go to `directory`, created (mode 0700) on the first store.
  explicit InflatedElfCache(std::string directory,
                            uint64_t budget = kDefaultBudget);

  // $HEAPTRAIL_CACHE_DIR when set (empty: no cache), else
  // $XDG_CACHE_HOME/heaptrail, else $HOME/.cache/heaptrail, each with
  // /debuginfo appended; none when neither is set.
  static std::optional<std::string> DirectoryFromEnvironment();

  // What InflatedElf(fd) gives, from the cache when it holds the file.
  UniqueFd Inflated(int fd) const;

  const std::string& directory() const { return directory_; }

 private:
  // True when the directory is absent (it is made private) or private.
  bool Private() const;
  // Removes the least recently used entries beyond the budget, and
  // temporary files a crashed report left.
  void Trim() const;

  std::string directory_;
  uint64_t budget_;
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_CACHE_H_
