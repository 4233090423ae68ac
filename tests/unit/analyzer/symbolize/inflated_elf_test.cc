// InflatedElf: the fixture's debug file compressed by objcopy, inflated back
// section for section, and every case that must be left to libelf; and
// InflatedElfCache: stored once, read back, replaced when damaged, trimmed
// to its budget, never in the way when it cannot be written.

#include "symbolize/inflated_elf.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "symbolize/inflated_elf_cache.h"

namespace heaptrail::analyzer::symbolize_internal {
namespace {

namespace fs = std::filesystem;

const std::string kFixtureDir = HEAPTRAIL_SYMFIX_DIR;

struct Section {
  uint64_t flags = 0;
  std::string bytes;  // as libelf reads them
};

// Every section with contents, by name.
std::map<std::string, Section> SectionsOf(int fd) {
  elf_version(EV_CURRENT);
  std::map<std::string, Section> sections;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (elf == nullptr) return sections;
  size_t names = 0;
  elf_getshdrstrndx(elf, &names);
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr || header.sh_type == SHT_NOBITS) {
      continue;
    }
    Section& section = sections[elf_strptr(elf, names, header.sh_name)];
    section.flags = header.sh_flags;
    if (Elf_Data* data = elf_rawdata(scn, nullptr); data != nullptr) {
      section.bytes.assign(static_cast<const char*>(data->d_buf), data->d_size);
    }
  }
  elf_end(elf);
  return sections;
}

// Every section of `expected`, uncompressed, with the same bytes.
void ExpectInflatedAs(const std::map<std::string, Section>& actual,
                      const std::map<std::string, Section>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, section] : expected) {
    ASSERT_TRUE(actual.contains(name)) << name;
    EXPECT_EQ(actual.at(name).flags & SHF_COMPRESSED, 0u) << name;
    EXPECT_EQ(actual.at(name).bytes, section.bytes) << name;
  }
}

UniqueFd Open(const std::string& path) {
  return UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

TEST(InflatedElfTest, InflatesEveryCompressedSection) {
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  ASSERT_TRUE(compressed.valid());
  size_t compressed_sections = 0;
  for (const auto& [name, section] : SectionsOf(compressed.get())) {
    if (section.flags & SHF_COMPRESSED) ++compressed_sections;
  }
  ASSERT_GE(compressed_sections, 3u) << "objcopy compressed nothing";

  const UniqueFd inflated = InflatedElf(compressed.get());
  ASSERT_TRUE(inflated.valid());
  const UniqueFd original = Open(kFixtureDir + "/o0.debug");
  const std::map<std::string, Section> expected = SectionsOf(original.get());
  ExpectInflatedAs(SectionsOf(inflated.get()), expected);
}

TEST(InflatedElfTest, LeavesOutWhatSymbolizationNeverReads) {
  const UniqueFd original = Open(kFixtureDir + "/o2.debug");
  std::map<std::string, Section> expected = SectionsOf(original.get());
  // At -O2 the fixture's variables move between registers: location lists.
  ASSERT_TRUE(expected.contains(".debug_loclists"));
  const UniqueFd compressed = Open(kFixtureDir + "/o2_zlib.debug");
  const UniqueFd inflated = InflatedElf(compressed.get());
  ASSERT_TRUE(inflated.valid());
  // SectionsOf() skips SHT_NOBITS sections: the lists are not there.
  expected.erase(".debug_loclists");
  ExpectInflatedAs(SectionsOf(inflated.get()), expected);
}

TEST(InflatedElfTest, LeavesFilesWithoutCompressedSectionsAlone) {
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  ASSERT_TRUE(plain.valid());
  EXPECT_FALSE(InflatedElf(plain.get()).valid());
}

class ScopedFile {
 public:
  explicit ScopedFile(const std::string& contents)
      : path_(fs::temp_directory_path() /
              ("heaptrail_inflated_elf_" + std::to_string(getpid()))) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~ScopedFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(InflatedElfTest, LeavesDamagedStreamsToLibelf) {
  std::string bytes = ReadFile(kFixtureDir + "/o0_zlib.debug");
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(compressed.get(), ELF_C_READ, nullptr);
  ASSERT_NE(elf, nullptr);
  uint64_t stream = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    gelf_getshdr(scn, &header);
    if ((header.sh_flags & SHF_COMPRESSED) && header.sh_size > 64) {
      stream = header.sh_offset + sizeof(Elf64_Chdr);
      break;
    }
  }
  elf_end(elf);
  ASSERT_NE(stream, 0u);
  for (uint64_t i = 8; i < 24; ++i) bytes[stream + i] ^= 0x5a;
  const ScopedFile damaged(bytes);
  const UniqueFd fd = Open(damaged.path());
  EXPECT_FALSE(InflatedElf(fd.get()).valid());
}

TEST(InflatedElfTest, LeavesWhatIsNotElfAlone) {
  for (const std::string& contents :
       {std::string(), std::string("not an ELF file at all"),
        std::string("\x7f" "ELF", 4) + std::string(200, '\xff')}) {
    const ScopedFile file(contents);
    const UniqueFd fd = Open(file.path());
    EXPECT_FALSE(InflatedElf(fd.get()).valid());
  }
}

// A fresh directory for one cache, removed with everything in it.
class CacheDirectory {
 public:
  CacheDirectory()
      : path_(fs::temp_directory_path() /
              ("heaptrail_inflated_cache_" + std::to_string(getpid()))) {
    fs::remove_all(path_);
  }
  ~CacheDirectory() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  // The names of the files in it.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    if (!fs::exists(path_)) return names;
    for (const auto& entry : fs::directory_iterator(path_)) {
      names.push_back(entry.path().filename());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

ino_t InodeOf(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

TEST(InflatedElfCacheTest, StoresOnceThenReadsTheEntry) {
  const CacheDirectory directory;
  const InflatedElfCache cache(directory.path());
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  const std::map<std::string, Section> expected = SectionsOf(plain.get());

  const UniqueFd stored = cache.Inflated(compressed.get());
  ASSERT_TRUE(stored.valid());
  ExpectInflatedAs(SectionsOf(stored.get()), expected);
  const std::vector<std::string> names = directory.Names();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(names[0].starts_with("v1-") && names[0].ends_with(".debug"))
      << names[0];
  EXPECT_EQ(fs::status(directory.path()).permissions() & fs::perms::all,
            fs::perms::owner_all);

  const UniqueFd read = cache.Inflated(compressed.get());
  ASSERT_TRUE(read.valid());
  EXPECT_EQ(InodeOf(read.get()), InodeOf(stored.get()));  // the same entry
  ExpectInflatedAs(SectionsOf(read.get()), expected);
  EXPECT_EQ(directory.Names(), names);
}

TEST(InflatedElfCacheTest, ReplacesAnEntryOfAnotherSize) {
  const CacheDirectory directory;
  const InflatedElfCache cache(directory.path());
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  ASSERT_TRUE(cache.Inflated(compressed.get()).valid());
  const fs::path entry = fs::path(directory.path()) / directory.Names().at(0);
  const uintmax_t size = fs::file_size(entry);
  fs::resize_file(entry, size / 2);  // as a full disk might have left it

  const UniqueFd read = cache.Inflated(compressed.get());
  ASSERT_TRUE(read.valid());
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  ExpectInflatedAs(SectionsOf(read.get()), SectionsOf(plain.get()));
  EXPECT_EQ(fs::file_size(entry), size);
}

TEST(InflatedElfCacheTest, InflatesInMemoryWhenItCannotStore) {
  const InflatedElfCache cache("/proc/self/no/such/directory");
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  const UniqueFd read = cache.Inflated(compressed.get());
  ASSERT_TRUE(read.valid());
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  ExpectInflatedAs(SectionsOf(read.get()), SectionsOf(plain.get()));
}

// On a full disk the store fails cleanly and the file is inflated in
// memory: the entry's blocks are reserved before it is written through a
// mapping, where a page with no block would be SIGBUS. The disk: a tmpfs of
// one page, less than the entry, mounted in a child's own mount namespace.
TEST(InflatedElfCacheTest, InflatesInMemoryWhenTheDiskIsFull) {
  const CacheDirectory directory;
  fs::create_directories(directory.path());
  const UniqueFd plan_source = Open(kFixtureDir + "/o0_zlib.debug");
  const uint64_t entry_size = ElfInflation::Plan(plan_source.get())->size();
  ASSERT_GT(entry_size, 4096u);
  const std::string options = "size=4096,mode=0700";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("tmpfs", directory.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      _exit(3);
    }
    const InflatedElfCache cache(directory.path() + "/debuginfo");
    const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
    const UniqueFd read = cache.Inflated(compressed.get());
    if (!read.valid()) _exit(1);
    const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
    _exit(SectionsOf(read.get()).at(".debug_info").bytes ==
                  SectionsOf(plain.get()).at(".debug_info").bytes
              ? 0
              : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: the tmpfs could not be mounted (needs root)";
}

TEST(InflatedElfCacheTest, LeavesADirectoryOthersMayWriteAlone) {
  const CacheDirectory directory;
  fs::create_directories(directory.path());
  fs::permissions(directory.path(), fs::perms::all);
  const InflatedElfCache cache(directory.path());
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  const UniqueFd read = cache.Inflated(compressed.get());
  ASSERT_TRUE(read.valid());  // inflated in memory
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  ExpectInflatedAs(SectionsOf(read.get()), SectionsOf(plain.get()));
  EXPECT_TRUE(directory.Names().empty());
}

TEST(InflatedElfCacheTest, StoresNothingForAFileWithoutCompressedSections) {
  const CacheDirectory directory;
  const InflatedElfCache cache(directory.path());
  const UniqueFd plain = Open(kFixtureDir + "/o0.debug");
  EXPECT_FALSE(cache.Inflated(plain.get()).valid());
  EXPECT_TRUE(directory.Names().empty());
}

void WriteAged(const fs::path& path, size_t bytes, int age_seconds) {
  std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
  fs::last_write_time(path, fs::file_time_type::clock::now() -
                                std::chrono::seconds(age_seconds));
}

TEST(InflatedElfCacheTest, KeepsTheMostRecentlyUsedWithinItsBudget) {
  const CacheDirectory directory;
  fs::create_directories(directory.path());
  const fs::path dir = directory.path();
  WriteAged(dir / "v1-oldest.debug", 4000, 300);
  WriteAged(dir / "v1-newer.debug", 4000, 200);
  WriteAged(dir / "v0-older-layout.debug", 10, 10);
  WriteAged(dir / ".tmp-1-2", 10, 7200);     // a crashed report's
  WriteAged(dir / ".tmp-3-4", 10, 10);       // a running report's
  WriteAged(dir / "someone-elses.txt", 10, 7200);
  const UniqueFd compressed = Open(kFixtureDir + "/o0_zlib.debug");
  const UniqueFd plan_source = Open(kFixtureDir + "/o0_zlib.debug");
  const uint64_t entry_size = ElfInflation::Plan(plan_source.get())->size();

  // Room for the new entry and one of the two old ones.
  const InflatedElfCache cache(directory.path(), entry_size + 4000 + 100);
  ASSERT_TRUE(cache.Inflated(compressed.get()).valid());
  std::vector<std::string> names = directory.Names();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], ".tmp-3-4");
  EXPECT_EQ(names[1], "someone-elses.txt");
  EXPECT_TRUE(names[2].starts_with("v1-") && names[2] != "v1-oldest.debug");
  EXPECT_TRUE(names[3].starts_with("v1-") && names[3] != "v1-oldest.debug");
  EXPECT_TRUE(fs::exists(dir / "v1-newer.debug"));
}

// Sets an environment variable for one scope, or unsets it (null).
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnvironment() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(InflatedElfCacheTest, FindsItsDirectoryInTheEnvironment) {
  const ScopedEnvironment home("HOME", "/home/u");
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", nullptr);
    const ScopedEnvironment xdg("XDG_CACHE_HOME", nullptr);
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(),
              "/home/u/.cache/heaptrail/debuginfo");
  }
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", nullptr);
    const ScopedEnvironment xdg("XDG_CACHE_HOME", "/var/cache/u");
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(),
              "/var/cache/u/heaptrail/debuginfo");
  }
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", nullptr);
    const ScopedEnvironment xdg("XDG_CACHE_HOME", "relative");  // ignored
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(),
              "/home/u/.cache/heaptrail/debuginfo");
  }
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", "/tmp/c");
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(),
              "/tmp/c/debuginfo");
  }
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", "");
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(), std::nullopt);
  }
  {
    const ScopedEnvironment chosen("HEAPTRAIL_CACHE_DIR", nullptr);
    const ScopedEnvironment xdg("XDG_CACHE_HOME", nullptr);
    const ScopedEnvironment no_home("HOME", nullptr);
    EXPECT_EQ(InflatedElfCache::DirectoryFromEnvironment(), std::nullopt);
  }
}

}  // namespace
}  // namespace heaptrail::analyzer::symbolize_internal
