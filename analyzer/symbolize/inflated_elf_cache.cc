// InflatedElfCache: one file per inflated debug file, named by what
// identifies the original, written aside and renamed into place.

#include "symbolize/inflated_elf_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "symbolize/inflated_elf.h"

namespace heaptrail::analyzer::symbolize_internal {
namespace {

namespace fs = std::filesystem;

// Bumped whenever ElfInflation writes something else: entries of other
// versions are never read, and removed by the next store.
constexpr char kVersionPrefix[] = "v1-";
constexpr char kEntrySuffix[] = ".debug";
constexpr char kTemporaryPrefix[] = ".tmp-";
// A temporary file this old belongs to no running report.
constexpr time_t kStaleTemporarySeconds = 3600;

std::string EntryName(const struct stat& original) {
  const uint64_t modified_ns =
      static_cast<uint64_t>(original.st_mtim.tv_sec) * 1'000'000'000 +
      static_cast<uint64_t>(original.st_mtim.tv_nsec);
  return absl::StrCat(kVersionPrefix, absl::Hex(original.st_dev), "-",
                      absl::Hex(original.st_ino), "-",
                      absl::Hex(original.st_size), "-",
                      absl::Hex(modified_ns), kEntrySuffix);
}

// The environment variable's value when set to an absolute path.
std::optional<std::string> AbsolutePath(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || value[0] != '/') return std::nullopt;
  return std::string(value);
}

}  // namespace

InflatedElfCache::InflatedElfCache(std::string directory, uint64_t budget)
    : directory_(std::move(directory)), budget_(budget) {}

std::optional<std::string> InflatedElfCache::DirectoryFromEnvironment() {
  if (const char* chosen = std::getenv("HEAPTRAIL_CACHE_DIR");
      chosen != nullptr) {
    if (chosen[0] == '\0') return std::nullopt;
    return absl::StrCat(chosen, "/debuginfo");
  }
  // The XDG base directory specification ignores relative paths.
  if (std::optional<std::string> xdg = AbsolutePath("XDG_CACHE_HOME")) {
    return absl::StrCat(*xdg, "/heaptrail/debuginfo");
  }
  if (std::optional<std::string> home = AbsolutePath("HOME")) {
    return absl::StrCat(*home, "/.cache/heaptrail/debuginfo");
  }
  return std::nullopt;
}

UniqueFd InflatedElfCache::Inflated(int fd) const {
  struct stat original;
  const std::unique_ptr<ElfInflation> plan = ElfInflation::Plan(fd);
  if (plan == nullptr || fstat(fd, &original) != 0) return {};
  if (!Private()) return InflatedInMemory(*plan);
  const std::string path =
      absl::StrCat(directory_, "/", EntryName(original));

  UniqueFd cached(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat entry;
  if (cached.valid() && fstat(cached.get(), &entry) == 0 &&
      S_ISREG(entry.st_mode) &&
      static_cast<uint64_t>(entry.st_size) == plan->size()) {
    futimens(cached.get(), nullptr);  // recently used: Trim() keeps it
    return cached;
  }

  std::error_code error;
  if (fs::create_directories(directory_, error)) {
    // Ours: private, as the debug info of the user's own programs may be.
    fs::permissions(directory_, fs::perms::owner_all, error);
  }
  // Unique among this process's threads and every other process; a clash
  // with a stale file only sends this report to the memory file.
  static std::atomic<uint64_t> stores{0};
  const std::string temporary =
      absl::StrCat(directory_, "/", kTemporaryPrefix, getpid(), "-",
                   stores.fetch_add(1, std::memory_order_relaxed));
  UniqueFd stored(open(temporary.c_str(),
                       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!stored.valid()) return InflatedInMemory(*plan);
  const bool written = plan->WriteTo(stored.get());
  // Synced before the rename: after a crash, an entry is whole or absent.
  if (!written || fdatasync(stored.get()) != 0 ||
      rename(temporary.c_str(), path.c_str()) != 0) {
    unlink(temporary.c_str());
    return written ? std::move(stored) : InflatedInMemory(*plan);
  }
  Trim();
  return stored;
}

bool InflatedElfCache::Private() const {
  struct stat st;
  if (stat(directory_.c_str(), &st) != 0) return errno == ENOENT;
  return S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

void InflatedElfCache::Trim() const {
  struct Entry {
    timespec used;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  const time_t now = time(nullptr);
  std::error_code error;
  for (fs::directory_iterator it(directory_, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename();
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (absl::StartsWith(name, kTemporaryPrefix)) {
      if (now - st.st_mtim.tv_sec > kStaleTemporarySeconds) {
        unlink(it->path().c_str());
      }
      continue;
    }
    if (!absl::EndsWith(name, kEntrySuffix)) continue;  // not ours
    if (!absl::StartsWith(name, kVersionPrefix)) {
      unlink(it->path().c_str());  // an older layout's
      continue;
    }
    entries.push_back({st.st_mtim, static_cast<uint64_t>(st.st_size),
                       it->path()});
    total += static_cast<uint64_t>(st.st_size);
  }
  if (total <= budget_) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) {
              return std::tie(a.used.tv_sec, a.used.tv_nsec) <
                     std::tie(b.used.tv_sec, b.used.tv_nsec);
            });
  for (const Entry& entry : entries) {
    if (total <= budget_) break;
    if (unlink(entry.path.c_str()) == 0) total -= entry.bytes;
  }
}

}  // namespace heaptrail::analyzer::symbolize_internal
