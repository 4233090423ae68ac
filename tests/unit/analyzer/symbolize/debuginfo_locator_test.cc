// The pieces of separate debug info lookup that the symbolizer tests only
// see through their effect: ELF facts, build-id paths, the debuglink CRC.

#include "symbolize/debuginfo_locator.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

std::optional<ElfFacts> FactsOf(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  return ReadElfFacts(fd.get());
}

const std::string kFixtureDir = HEAPTRAIL_SYMFIX_DIR;

TEST(DebuginfoLocatorTest, BuildIdHexIsLowercase) {
  EXPECT_EQ(BuildIdHex(std::string("\x00\xab\x10\xff", 4)), "00ab10ff");
  EXPECT_EQ(BuildIdHex(""), "");
}

TEST(DebuginfoLocatorTest, Crc32MatchesTheStandardCheckValue) {
  const std::filesystem::path path =
      std::filesystem::path(testing::TempDir()) / "heaptrail_crc_check";
  { std::ofstream(path) << "123456789"; }
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(FileCrc32(fd.get()), 0xcbf43926u);
  std::filesystem::remove(path);
}

TEST(DebuginfoLocatorTest, ReadsFactsOfFixtureVariants) {
  std::optional<ElfFacts> full = FactsOf(HEAPTRAIL_SYMFIX_O0);
  ASSERT_TRUE(full.has_value());
  EXPECT_TRUE(full->has_dwarf);
  EXPECT_GE(full->build_id.size(), 8u);
  EXPECT_TRUE(full->debuglink.empty());

  std::optional<ElfFacts> stripped = FactsOf(kFixtureDir + "/o0_strip_debug.so");
  ASSERT_TRUE(stripped.has_value());
  EXPECT_FALSE(stripped->has_dwarf);
  EXPECT_EQ(stripped->build_id, full->build_id);

  std::optional<ElfFacts> debug = FactsOf(kFixtureDir + "/o0.debug");
  ASSERT_TRUE(debug.has_value());
  EXPECT_TRUE(debug->has_dwarf);
  EXPECT_EQ(debug->build_id, full->build_id);

  std::optional<ElfFacts> linked = FactsOf(kFixtureDir + "/o0_debuglink.so");
  ASSERT_TRUE(linked.has_value());
  EXPECT_EQ(linked->debuglink, "o0.debug");
  UniqueFd debug_fd(open((kFixtureDir + "/o0.debug").c_str(), O_RDONLY));
  EXPECT_EQ(FileCrc32(debug_fd.get()), linked->debuglink_crc);

  std::optional<ElfFacts> anonymous =
      FactsOf(kFixtureDir + "/o0_debuglink_no_build_id.so");
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_TRUE(anonymous->build_id.empty());
}

TEST(DebuginfoLocatorTest, RejectsFilesThatAreNotElf) {
  EXPECT_FALSE(FactsOf(HEAPTRAIL_SYMFIX_O0_SOURCE).has_value());
}

TEST(DebuginfoLocatorTest, BuildIdLookupSkipsFilesOfAnotherBuild) {
  // A .build-id entry whose file has another build-id (a stale link) is not
  // taken for the requested one.
  std::optional<ElfFacts> o0 = FactsOf(HEAPTRAIL_SYMFIX_O0);
  ASSERT_TRUE(o0.has_value());
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "heaptrail_stale_build_id";
  const std::string hex = BuildIdHex(o0->build_id);
  const std::filesystem::path entry =
      dir / ".build-id" / hex.substr(0, 2) / (hex.substr(2) + ".debug");
  std::filesystem::create_directories(entry.parent_path());
  std::filesystem::copy_file(HEAPTRAIL_SYMFIX_O2, entry,
                             std::filesystem::copy_options::overwrite_existing);
  DebuginfoLocator locator({dir.string()}, /*verify_debuglink_crc=*/false);
  EXPECT_FALSE(locator.FindByBuildId(o0->build_id).has_value());

  std::filesystem::copy_file(kFixtureDir + "/o0.debug", entry,
                             std::filesystem::copy_options::overwrite_existing);
  std::optional<LocatedFile> found = locator.FindByBuildId(o0->build_id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->path, entry.string());
  EXPECT_TRUE(found->facts.has_dwarf);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace heaptrail::analyzer::symbolize_internal
