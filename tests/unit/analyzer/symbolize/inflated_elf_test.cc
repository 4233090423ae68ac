// InflatedElf: the fixture's debug file compressed by objcopy, inflated back
// section for section, and every case that must be left to libelf.

#include "symbolize/inflated_elf.h"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

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

}  // namespace
}  // namespace heaptrail::analyzer::symbolize_internal
