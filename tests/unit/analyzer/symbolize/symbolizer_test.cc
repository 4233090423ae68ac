// Symbolizer end to end: fixture libraries are dlopen'ed, their return
// addresses captured, their module described exactly as the recorder does
// (dl_iterate_phdr: path, dlpi_addr, PT_LOAD segments, GNU build-id note),
// and the symbolizer must give back the fixtures' own files and lines, which
// the fixtures report through __LINE__.

#include "symbolize/symbolizer.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <link.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fixture_api.h"
#include "symbolize/debuginfo_locator.h"

namespace heaptrail::analyzer {
namespace {

namespace fs = std::filesystem;

const std::string kFixtureDir = HEAPTRAIL_SYMFIX_DIR;
const std::string kO0Source = HEAPTRAIL_SYMFIX_O0_SOURCE;
const std::string kO2Source = HEAPTRAIL_SYMFIX_O2_SOURCE;
const std::string kCallerName =
    "heaptrail_fixture::Caller(int, FixtureO0Result*)";

// --- The recorder's view of a loaded module ---------------------------------

std::string BuildIdFromNotes(const char* notes, size_t size, size_t align) {
  size_t offset = 0;
  auto round_up = [align](size_t n) { return (n + align - 1) & ~(align - 1); };
  while (offset + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) header;
    std::memcpy(&header, notes + offset, sizeof(header));
    const size_t name_at = offset + sizeof(header);
    const size_t desc_at = name_at + round_up(header.n_namesz);
    if (desc_at + header.n_descsz > size) break;
    if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 &&
        std::memcmp(notes + name_at, "GNU", 4) == 0) {
      return std::string(notes + desc_at, header.n_descsz);
    }
    offset = desc_at + round_up(header.n_descsz);
  }
  return {};
}

struct ModuleSearch {
  uintptr_t address;
  std::optional<ModuleInfo> found;
};

int FindModule(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<ModuleSearch*>(data);
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + phdr.p_vaddr;
    if (phdr.p_type == PT_LOAD && search->address >= start &&
        search->address < start + phdr.p_memsz) {
      contains = true;
    }
  }
  if (!contains) return 0;
  ModuleInfo module;
  module.path = info->dlpi_name;
  if (module.path.empty()) module.path = fs::read_symlink("/proc/self/exe");
  module.load_bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD) {
      module.segments.push_back({.vaddr = phdr.p_vaddr,
                                 .memsz = phdr.p_memsz,
                                 .file_offset = phdr.p_offset,
                                 .flags = phdr.p_flags});
    } else if (phdr.p_type == PT_NOTE && module.build_id.empty()) {
      module.build_id = BuildIdFromNotes(
          reinterpret_cast<const char*>(info->dlpi_addr + phdr.p_vaddr),
          phdr.p_memsz, phdr.p_align >= 8 ? 8 : 4);
    }
  }
  search->found = std::move(module);
  return 1;
}

ModuleInfo ModuleOf(const void* address) {
  ModuleSearch search{reinterpret_cast<uintptr_t>(address), std::nullopt};
  dl_iterate_phdr(FindModule, &search);
  if (!search.found) ADD_FAILURE() << "no module holds " << address;
  return search.found.value_or(ModuleInfo{});
}

uint64_t Address(const void* pointer) {
  return reinterpret_cast<uintptr_t>(pointer);
}

// A directory under the test temp dir, removed with everything in it.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = testing::TempDir() + "heaptrail_symbolize_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

  // Copies `source` to `relative` inside the directory, creating parents.
  fs::path Put(const std::string& source, const fs::path& relative) const {
    const fs::path target = path_ / relative;
    fs::create_directories(target.parent_path());
    fs::copy_file(source, target, fs::copy_options::overwrite_existing);
    return target;
  }

 private:
  fs::path path_;
};

std::string BuildIdPath(const std::string& build_id) {
  const std::string hex = symbolize_internal::BuildIdHex(build_id);
  return ".build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
}

std::string Describe(const std::vector<SourceFrame>& frames) {
  std::string text;
  for (const SourceFrame& frame : frames) {
    absl::StrAppend(&text, "\n  ", frame.function, " at ", frame.file, ":",
                    frame.line, ":", frame.column,
                    frame.inlined ? " (inlined)" : "", " in ", frame.module);
  }
  return text;
}

// No system debug directory: results must come from the files under test.
SymbolizerOptions IsolatedOptions() {
  SymbolizerOptions options;
  options.debug_directories.clear();
  return options;
}

// Debug files found in `directory` only.
SymbolizerOptions DebugDirectoryOptions(const fs::path& directory) {
  SymbolizerOptions options;
  options.debug_directories = {directory};
  return options;
}

// --- Fixture -----------------------------------------------------------------

class SymbolizerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    Load(HEAPTRAIL_SYMFIX_O0, "heaptrail_fixture_o0", &o0_);
    Load(HEAPTRAIL_SYMFIX_O2, "heaptrail_fixture_o2", &o2_);
    Load(HEAPTRAIL_SYMFIX_O2_SPLIT, "heaptrail_fixture_o2", &o2_split_);
    ASSERT_NE(o0_.inner_return_address, nullptr);
    ASSERT_NE(o2_.return_address, nullptr);
    ASSERT_NE(o2_split_.return_address, nullptr);
  }

  // Runs the fixture function `name` of the library at `path`.
  template <typename Result>
  static void Load(const char* path, const char* name, Result* result) {
    // RTLD_LOCAL: two fixtures export the same name. Never dlclose'd: the
    // captured addresses must stay mapped.
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    void* function = dlsym(handle, name);
    ASSERT_NE(function, nullptr) << dlerror();
    reinterpret_cast<void (*)(Result*)>(function)(result);
  }

  // The module of the -O0 fixture, as recorded, with another file standing
  // in for it (a stripped copy, say) when `path` is given.
  static ModuleInfo O0Module(const std::string& path = {}) {
    ModuleInfo module = ModuleOf(o0_.inner_return_address);
    if (!path.empty()) module.path = path;
    return module;
  }
  static ModuleInfo O2Module(const std::string& path = {}) {
    ModuleInfo module = ModuleOf(o2_.return_address);
    if (!path.empty()) module.path = path;
    return module;
  }

  // The -O2 fixture's allocation: Inner inlined into Middle inlined into
  // Outer, each frame at its own line of the fixture's source.
  static void ExpectInlineChain(const std::vector<SourceFrame>& frames,
                                const FixtureO2Result& result) {
    ASSERT_EQ(frames.size(), 3u) << Describe(frames);
    EXPECT_EQ(frames[0].function,
              "heaptrail_fixture::Inner(FixtureO2Result*, int)");
    EXPECT_EQ(frames[0].line, static_cast<uint32_t>(result.inner_line));
    EXPECT_EQ(frames[1].line, static_cast<uint32_t>(result.middle_line));
    EXPECT_EQ(frames[2].function, "heaptrail_fixture::Outer(FixtureO2Result*)");
    EXPECT_EQ(frames[2].line, static_cast<uint32_t>(result.outer_line));
    for (const SourceFrame& frame : frames) EXPECT_EQ(frame.file, kO2Source);
  }

  // Caller's frame when no line information is available.
  static void ExpectSymbolOnly(const std::vector<SourceFrame>& frames,
                               const std::string& module_path) {
    ASSERT_EQ(frames.size(), 1u) << Describe(frames);
    EXPECT_EQ(frames[0].function, kCallerName);
    EXPECT_EQ(frames[0].file, "");
    EXPECT_EQ(frames[0].line, 0u);
    EXPECT_EQ(frames[0].module, module_path);
    EXPECT_FALSE(frames[0].inlined);
  }

  // Caller's frame with full DWARF information.
  static void ExpectCallerLine(const std::vector<SourceFrame>& frames,
                               const std::string& module_path) {
    ASSERT_EQ(frames.size(), 1u) << Describe(frames);
    EXPECT_EQ(frames[0].function, kCallerName);
    EXPECT_EQ(frames[0].file, kO0Source);
    EXPECT_EQ(frames[0].line, static_cast<uint32_t>(o0_.inner_line));
    EXPECT_EQ(frames[0].module, module_path);
    EXPECT_FALSE(frames[0].inlined);
  }

  static std::string OffsetName(const std::string& basename,
                                const ModuleInfo& module,
                                const void* return_address) {
    return absl::StrCat(
        basename, "+0x",
        absl::Hex(Address(return_address) - 1 - module.load_bias));
  }

  static inline FixtureO0Result o0_{};
  static inline FixtureO2Result o2_{};
  static inline FixtureO2Result o2_split_{};
};

// --- DWARF -------------------------------------------------------------------

TEST_F(SymbolizerTest, ResolvesFileLineAndDemangledNameAtO0) {
  Symbolizer symbolizer(IsolatedOptions());
  const ModuleInfo module = O0Module();
  EXPECT_EQ(module.path, HEAPTRAIL_SYMFIX_O0);
  EXPECT_FALSE(module.build_id.empty());
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames = symbolizer.Symbolize(
      index, Address(o0_.inner_return_address), /*is_return_address=*/true);
  ExpectCallerLine(frames, module.path);
  EXPECT_GT(frames[0].column, 0u);
  EXPECT_EQ(symbolizer.module(index).path, module.path);
}

TEST_F(SymbolizerTest, ResolvesCFunctionName) {
  Symbolizer symbolizer(IsolatedOptions());
  const size_t index = symbolizer.AddModule(O0Module());
  const std::vector<SourceFrame>& frames = symbolizer.Symbolize(
      index, Address(o0_.outer_return_address), /*is_return_address=*/true);
  ASSERT_EQ(frames.size(), 1u) << Describe(frames);
  EXPECT_EQ(frames[0].function, "heaptrail_fixture_o0");
  EXPECT_EQ(frames[0].file, kO0Source);
  EXPECT_EQ(frames[0].line, static_cast<uint32_t>(o0_.outer_line));
}

TEST_F(SymbolizerTest, ExpandsInlineChainAtO2) {
  Symbolizer symbolizer(IsolatedOptions());
  const ModuleInfo module = O2Module();
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames = symbolizer.Symbolize(
      index, Address(o2_.return_address), /*is_return_address=*/true);
  ASSERT_EQ(frames.size(), 3u) << Describe(frames);

  EXPECT_EQ(frames[0].function,
            "heaptrail_fixture::Inner(FixtureO2Result*, int)");
  EXPECT_EQ(frames[0].file, kO2Source);
  EXPECT_EQ(frames[0].line, static_cast<uint32_t>(o2_.inner_line));
  EXPECT_TRUE(frames[0].inlined);

  EXPECT_EQ(frames[1].function,
            "heaptrail_fixture::Middle(FixtureO2Result*, int)");
  EXPECT_EQ(frames[1].file, kO2Source);
  EXPECT_EQ(frames[1].line, static_cast<uint32_t>(o2_.middle_line));
  EXPECT_GT(frames[1].column, 0u);
  EXPECT_TRUE(frames[1].inlined);

  EXPECT_EQ(frames[2].function, "heaptrail_fixture::Outer(FixtureO2Result*)");
  EXPECT_EQ(frames[2].file, kO2Source);
  EXPECT_EQ(frames[2].line, static_cast<uint32_t>(o2_.outer_line));
  EXPECT_FALSE(frames[2].inlined);

  for (const SourceFrame& frame : frames) EXPECT_EQ(frame.module, module.path);
  // The three lines are distinct, so a frame shifted by one would show.
  EXPECT_NE(o2_.inner_line, o2_.middle_line);
  EXPECT_NE(o2_.middle_line, o2_.outer_line);
}

TEST_F(SymbolizerTest, ExpandsInlineChainWithoutDebugAranges) {
  // clang emits no .debug_aranges; the unit must still be found.
  Symbolizer symbolizer(IsolatedOptions());
  const std::string path = kFixtureDir + "/o2_no_aranges.so";
  const size_t index = symbolizer.AddModule(O2Module(path));
  ExpectInlineChain(symbolizer.Symbolize(index, Address(o2_.return_address),
                                         /*is_return_address=*/true),
                    o2_);
}

TEST_F(SymbolizerTest, ExpandsInlineChainFromCompressedDebugInfoByBuildId) {
  // Debian's layout at -O2: the DWARF apart, compressed, found by build-id;
  // InflatedElf leaves its location lists out, which lookups never read.
  ScopedTempDir debug_dir;
  const ModuleInfo module = O2Module(kFixtureDir + "/o2_strip_debug.so");
  debug_dir.Put(kFixtureDir + "/o2_zlib.debug", BuildIdPath(module.build_id));
  Symbolizer symbolizer(DebugDirectoryOptions(debug_dir.path()));
  const size_t index = symbolizer.AddModule(module);
  ExpectInlineChain(symbolizer.Symbolize(index, Address(o2_.return_address),
                                         /*is_return_address=*/true),
                    o2_);
}

TEST_F(SymbolizerTest, ExpandsInlineChainWithSplitDwarf) {
  Symbolizer symbolizer(IsolatedOptions());
  const ModuleInfo module = ModuleOf(o2_split_.return_address);
  EXPECT_EQ(module.path, HEAPTRAIL_SYMFIX_O2_SPLIT);
  const size_t index = symbolizer.AddModule(module);
  ExpectInlineChain(
      symbolizer.Symbolize(index, Address(o2_split_.return_address),
                           /*is_return_address=*/true),
      o2_split_);
}

TEST_F(SymbolizerTest, ResolvesMainExecutableOfThisProcess) {
  // The PIE test binary itself, named by its absolute path as the recorder
  // names the main executable.
  struct Capture {
    [[gnu::noipa]] static void* ReturnAddress() {
      return __builtin_return_address(0);
    }
  };
  const int line = __LINE__ + 1;
  void* return_address = Capture::ReturnAddress();
  asm volatile("" : : "r"(return_address) : "memory");

  Symbolizer symbolizer(IsolatedOptions());
  const ModuleInfo module = ModuleOf(return_address);
  EXPECT_EQ(module.path, fs::read_symlink("/proc/self/exe").string());
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, Address(return_address), true);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].file, __FILE__) << Describe(frames);
  EXPECT_EQ(frames[0].line, static_cast<uint32_t>(line)) << Describe(frames);
  // GCC gives members of an anonymous namespace no linkage name: the name
  // is qualified from the DIE tree instead (without parameters).
  EXPECT_EQ(frames.back().function,
            "heaptrail::analyzer::(anonymous namespace)::"
            "SymbolizerTest_ResolvesMainExecutableOfThisProcess_Test::"
            "TestBody");
}

TEST_F(SymbolizerTest, ResolvesNonPieExecutableOfAnotherProcess) {
  // ET_EXEC at load bias 0, symbolized after the process has exited.
  std::unique_ptr<FILE, decltype(&pclose)> child(
      popen(HEAPTRAIL_SYMFIX_EXE, "r"), &pclose);
  ASSERT_NE(child, nullptr);
  uint64_t address = 0;
  int line = 0;
  ASSERT_EQ(std::fscanf(child.get(), "%" SCNx64 " %d", &address, &line), 2);
  child.reset();

  Symbolizer symbolizer(IsolatedOptions());
  ModuleInfo module;
  module.path = HEAPTRAIL_SYMFIX_EXE;  // no build-id recorded: still fine
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, address, /*is_return_address=*/true);
  ASSERT_EQ(frames.size(), 1u) << Describe(frames);
  EXPECT_EQ(frames[0].function, "main");
  EXPECT_EQ(frames[0].file, HEAPTRAIL_SYMFIX_EXE_SOURCE);
  EXPECT_EQ(frames[0].line, static_cast<uint32_t>(line));
}

TEST_F(SymbolizerTest, CachesResultsPerModuleAndAddress) {
  Symbolizer symbolizer(IsolatedOptions());
  const size_t index = symbolizer.AddModule(O0Module());
  const uint64_t address = Address(o0_.inner_return_address);
  const std::vector<SourceFrame>* first =
      &symbolizer.Symbolize(index, address, true);
  // Many more lookups (and rehashes) must not move the first result.
  for (uint64_t i = 0; i < 1000; ++i) symbolizer.Symbolize(index, i, false);
  EXPECT_EQ(&symbolizer.Symbolize(index, address, true), first);
  // address - 1 looked up directly is the same entry.
  EXPECT_EQ(&symbolizer.Symbolize(index, address - 1, false), first);
  ExpectCallerLine(*first, O0Module().path);
}

// --- Separate debug info -----------------------------------------------------

TEST_F(SymbolizerTest, FindsDebugInfoByBuildId) {
  ScopedTempDir debug_dir;
  const ModuleInfo module = O0Module(kFixtureDir + "/o0_strip_debug.so");
  debug_dir.Put(kFixtureDir + "/o0.debug", BuildIdPath(module.build_id));
  SymbolizerOptions options;
  options.debug_directories = {"/nonexistent/debug", debug_dir.path()};
  Symbolizer symbolizer(options);
  const size_t index = symbolizer.AddModule(module);
  ExpectCallerLine(symbolizer.Symbolize(
                       index, Address(o0_.inner_return_address), true),
                   module.path);
}

// As Debian ships them: inflated by InflatedElf, not by libelf.
TEST_F(SymbolizerTest, FindsCompressedDebugInfoByBuildId) {
  ScopedTempDir debug_dir;
  const ModuleInfo module = O0Module(kFixtureDir + "/o0_strip_debug.so");
  debug_dir.Put(kFixtureDir + "/o0_zlib.debug", BuildIdPath(module.build_id));
  Symbolizer symbolizer(DebugDirectoryOptions(debug_dir.path()));
  const size_t index = symbolizer.AddModule(module);
  ExpectCallerLine(symbolizer.Symbolize(
                       index, Address(o0_.inner_return_address), true),
                   module.path);
}

TEST_F(SymbolizerTest, FindsDebugLinkNextToFile) {
  ScopedTempDir dir;
  const fs::path library =
      dir.Put(kFixtureDir + "/o0_debuglink.so", "lib/libfixture.so");
  dir.Put(kFixtureDir + "/o0.debug", "lib/o0.debug");
  Symbolizer symbolizer(IsolatedOptions());
  const size_t index = symbolizer.AddModule(O0Module(library));
  ExpectCallerLine(symbolizer.Symbolize(
                       index, Address(o0_.inner_return_address), true),
                   library);
}

TEST_F(SymbolizerTest, FindsDebugLinkInDotDebugDirectory) {
  ScopedTempDir dir;
  const fs::path library =
      dir.Put(kFixtureDir + "/o0_debuglink.so", "lib/libfixture.so");
  dir.Put(kFixtureDir + "/o0.debug", "lib/.debug/o0.debug");
  Symbolizer symbolizer(IsolatedOptions());
  const size_t index = symbolizer.AddModule(O0Module(library));
  ExpectCallerLine(symbolizer.Symbolize(
                       index, Address(o0_.inner_return_address), true),
                   library);
}

TEST_F(SymbolizerTest, FindsDebugLinkUnderDebugDirectory) {
  ScopedTempDir dir;
  const fs::path library =
      dir.Put(kFixtureDir + "/o0_debuglink.so", "lib/libfixture.so");
  // <debugdir>/<absolute dir of the file>/<debuglink>
  dir.Put(kFixtureDir + "/o0.debug",
          fs::path("debug") / library.parent_path().relative_path() /
              "o0.debug");
  SymbolizerOptions options;
  options.debug_directories = {(dir.path() / "debug").string() + "/"};
  Symbolizer symbolizer(options);
  const size_t index = symbolizer.AddModule(O0Module(library));
  ExpectCallerLine(symbolizer.Symbolize(
                       index, Address(o0_.inner_return_address), true),
                   library);
}

TEST_F(SymbolizerTest, FindsDwzSupplementaryFileByBuildId) {
#ifndef HEAPTRAIL_SYMFIX_HAVE_DWZ
  GTEST_SKIP() << "dwz was not found when the tests were configured";
#else
  FixtureDwzResult result{};
  const std::string library = kFixtureDir + "/dwz_a.so";
  Load(library.c_str(), "heaptrail_fixture_dwz_a", &result);
  ASSERT_NE(result.return_address, nullptr);
  const ModuleInfo module = ModuleOf(result.return_address);
  EXPECT_EQ(module.path, library);

  // The supplementary file, installed where its build-id says.
  symbolize_internal::UniqueFd common(
      open((kFixtureDir + "/dwz_common.debug").c_str(), O_RDONLY));
  std::optional<symbolize_internal::ElfFacts> facts =
      symbolize_internal::ReadElfFacts(common.get());
  ASSERT_TRUE(facts.has_value());
  ScopedTempDir debug_dir;
  debug_dir.Put(kFixtureDir + "/dwz_common.debug", BuildIdPath(facts->build_id));
  Symbolizer symbolizer(DebugDirectoryOptions(debug_dir.path()));
  const size_t index = symbolizer.AddModule(module);
  const uint64_t address = Address(result.return_address);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, address, true);
  ASSERT_EQ(frames.size(), 2u) << Describe(frames);
  // The inlined function's name lives only in the supplementary file.
  EXPECT_EQ(frames[0].function,
            "heaptrail_fixture_dwz::SharedInline(FixtureDwzResult*, int)");
  EXPECT_EQ(frames[0].line, static_cast<uint32_t>(result.inline_line));
  EXPECT_TRUE(frames[0].inlined);
  EXPECT_EQ(frames[1].function, "heaptrail_fixture_dwz_a");
  EXPECT_EQ(frames[1].line, static_cast<uint32_t>(result.call_line));

  // Without it the lines still hold; the inlined name is unknown.
  Symbolizer without(IsolatedOptions());
  const std::vector<SourceFrame>& bare =
      without.Symbolize(without.AddModule(module), address, true);
  ASSERT_EQ(bare.size(), 2u) << Describe(bare);
  EXPECT_EQ(bare[0].function,
            OffsetName("dwz_a.so", module, result.return_address));
  EXPECT_EQ(bare[0].line, static_cast<uint32_t>(result.inline_line));
  EXPECT_EQ(bare[1].line, static_cast<uint32_t>(result.call_line));
#endif
}

TEST_F(SymbolizerTest, DebugLinkCrcIsCheckedWhenAsked) {
  // Without build-ids only the CRC can tell a stale debug file.
  ScopedTempDir dir;
  const fs::path library = dir.Put(
      kFixtureDir + "/o0_debuglink_no_build_id.so", "lib/libfixture.so");
  const fs::path debug = dir.Put(kFixtureDir + "/o0.debug", "lib/o0.debug");
  ModuleInfo module = O0Module(library);
  module.build_id.clear();  // the recorder found none either
  const uint64_t address = Address(o0_.inner_return_address);

  SymbolizerOptions checked = IsolatedOptions();
  checked.verify_debuglink_crc = true;
  {
    Symbolizer symbolizer(checked);
    ExpectCallerLine(
        symbolizer.Symbolize(symbolizer.AddModule(module), address, true),
        library);
  }
  // One byte appended: same DWARF, wrong CRC.
  {
    std::FILE* file = std::fopen(debug.c_str(), "ab");
    ASSERT_NE(file, nullptr);
    std::fputc(0, file);
    std::fclose(file);
  }
  {
    Symbolizer symbolizer(checked);
    ExpectSymbolOnly(
        symbolizer.Symbolize(symbolizer.AddModule(module), address, true),
        library);
  }
  {
    Symbolizer symbolizer(IsolatedOptions());  // CRC not checked
    ExpectCallerLine(
        symbolizer.Symbolize(symbolizer.AddModule(module), address, true),
        library);
  }
}

TEST_F(SymbolizerTest, DebugLinkToAnotherBuildIsRejected) {
  // The file named by the debuglink carries another build-id.
  ScopedTempDir dir;
  const fs::path library =
      dir.Put(kFixtureDir + "/o0_debuglink.so", "lib/libfixture.so");
  dir.Put(HEAPTRAIL_SYMFIX_O2, "lib/o0.debug");
  Symbolizer symbolizer(IsolatedOptions());
  const size_t index = symbolizer.AddModule(O0Module(library));
  ExpectSymbolOnly(
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true),
      library);
}

// --- Fallbacks ---------------------------------------------------------------

TEST_F(SymbolizerTest, FallsBackToSymbolTableWhenStripped) {
  Symbolizer symbolizer(IsolatedOptions());
  const std::string path = kFixtureDir + "/o0_strip_debug.so";
  const size_t index = symbolizer.AddModule(O0Module(path));
  ExpectSymbolOnly(
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true),
      path);
}

TEST_F(SymbolizerTest, FallsBackToDynamicSymbolsWhenFullyStripped) {
  Symbolizer symbolizer(IsolatedOptions());
  const std::string path = kFixtureDir + "/o0_strip_all.so";
  const size_t index = symbolizer.AddModule(O0Module(path));
  ExpectSymbolOnly(
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true),
      path);
}

TEST_F(SymbolizerTest, FallsBackToOffsetForMissingFile) {
  Symbolizer symbolizer(IsolatedOptions());
  ModuleInfo module;
  module.path = "/nonexistent/dir/libgone.so";
  module.load_bias = 0x7f0000000000;
  module.build_id = "\x12\x34\x56\x78";
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& exact =
      symbolizer.Symbolize(index, 0x7f0000001234, /*is_return_address=*/false);
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].function, "libgone.so+0x1234");
  EXPECT_EQ(exact[0].file, "");
  EXPECT_EQ(exact[0].line, 0u);
  EXPECT_EQ(exact[0].module, module.path);
  EXPECT_FALSE(exact[0].inlined);
  // A return address is reported at the call: one byte back.
  const std::vector<SourceFrame>& returned =
      symbolizer.Symbolize(index, 0x7f0000001234, /*is_return_address=*/true);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].function, "libgone.so+0x1233");
}

TEST_F(SymbolizerTest, FallsBackToOffsetForPseudoModules) {
  Symbolizer symbolizer(IsolatedOptions());
  for (const char* path : {"[vdso]", "linux-vdso.so.1", ""}) {
    ModuleInfo module;
    module.path = path;
    module.load_bias = 0x7ffd00000000;
    const size_t index = symbolizer.AddModule(module);
    const std::vector<SourceFrame>& frames =
        symbolizer.Symbolize(index, 0x7ffd00000a10, false);
    ASSERT_EQ(frames.size(), 1u);
    const std::string name = *path != '\0' ? path : "<unknown>";
    EXPECT_EQ(frames[0].function, name + "+0xa10");
    EXPECT_EQ(frames[0].module, path);
  }
}

TEST_F(SymbolizerTest, FallsBackToOffsetForNonElfFile) {
  Symbolizer symbolizer(IsolatedOptions());
  ModuleInfo module = O0Module(kO0Source);  // a C++ source, not ELF
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function,
            OffsetName("fixture_o0.cc", module, o0_.inner_return_address));
}

TEST_F(SymbolizerTest, FallsBackToOffsetForDirectory) {
  Symbolizer symbolizer(IsolatedOptions());
  ModuleInfo module = O0Module(kFixtureDir);
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function,
            OffsetName("symbolize_fixtures", module, o0_.inner_return_address));
}

TEST_F(SymbolizerTest, SurvivesTruncatedFiles) {
  // Half a library, or just its ELF header: whatever comes back, it must
  // come back (the ASan build checks that nothing is read out of bounds).
  const uint64_t address = Address(o0_.inner_return_address);
  const uintmax_t full_size = fs::file_size(HEAPTRAIL_SYMFIX_O0);
  for (uintmax_t size : {full_size / 2, full_size / 8, uintmax_t{100},
                         uintmax_t{0}}) {
    ScopedTempDir dir;
    const fs::path copy = dir.Put(HEAPTRAIL_SYMFIX_O0, "libtruncated.so");
    fs::resize_file(copy, size);
    Symbolizer symbolizer(IsolatedOptions());
    const ModuleInfo module = O0Module(copy);
    const size_t index = symbolizer.AddModule(module);
    const std::vector<SourceFrame>& frames =
        symbolizer.Symbolize(index, address, true);
    ASSERT_FALSE(frames.empty()) << size;
    EXPECT_FALSE(frames[0].function.empty()) << size;
    EXPECT_EQ(frames[0].module, module.path);
  }
}

TEST_F(SymbolizerTest, IgnoresFileWithMismatchedBuildId) {
  // The library was rebuilt since the trace: its symbols would lie.
  Symbolizer symbolizer(IsolatedOptions());
  ModuleInfo module = O0Module();
  module.build_id = std::string(20, '\x5a');
  const size_t index = symbolizer.AddModule(module);
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true);
  ASSERT_EQ(frames.size(), 1u) << Describe(frames);
  EXPECT_EQ(frames[0].function,
            OffsetName("libheaptrail_symfix_o0.so", module,
                       o0_.inner_return_address));
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(frames[0].line, 0u);
  EXPECT_EQ(frames[0].module, module.path);
}

TEST_F(SymbolizerTest, UsesDebugFileOfRecordedBuildIdWhenFileWasReplaced) {
  // The path now holds another build (here: the -O2 fixture), but the debug
  // file of the build that ran is installed.
  const ModuleInfo original = O0Module();
  ScopedTempDir debug_dir;
  debug_dir.Put(kFixtureDir + "/o0.debug", BuildIdPath(original.build_id));
  Symbolizer symbolizer(DebugDirectoryOptions(debug_dir.path()));
  const ModuleInfo replaced = O0Module(HEAPTRAIL_SYMFIX_O2);
  const size_t index = symbolizer.AddModule(replaced);
  ExpectCallerLine(
      symbolizer.Symbolize(index, Address(o0_.inner_return_address), true),
      replaced.path);

  // And the same when the file is gone altogether.
  const ModuleInfo gone = O0Module("/nonexistent/libheaptrail_symfix_o0.so");
  ExpectCallerLine(symbolizer.Symbolize(symbolizer.AddModule(gone),
                                        Address(o0_.inner_return_address),
                                        true),
                   gone.path);
}

TEST_F(SymbolizerTest, OpensMoreModulesThanTheSoftDescriptorLimit) {
  // Every opened module keeps its file open inside libdwfl; a big process
  // has more libraries than the common soft limit of 1024 descriptors.
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  constexpr rlim_t kLowLimit = 64;
  if (saved.rlim_max < 4 * kLowLimit) GTEST_SKIP() << "hard limit too low";
  struct rlimit low = saved;
  low.rlim_cur = kLowLimit;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  Symbolizer symbolizer(IsolatedOptions());
  std::vector<size_t> indexes;
  for (rlim_t i = 0; i < 2 * kLowLimit; ++i) {
    indexes.push_back(symbolizer.AddModule(O0Module()));
  }
  for (const size_t index : indexes) {
    const std::vector<SourceFrame>& frames = symbolizer.Symbolize(
        index, Address(o0_.inner_return_address), true);
    ASSERT_EQ(frames[0].line, static_cast<uint32_t>(o0_.inner_line))
        << "module " << index << Describe(frames);
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

TEST_F(SymbolizerTest, UnknownModuleIndexGivesAFrame) {
  Symbolizer symbolizer(IsolatedOptions());
  const std::vector<SourceFrame>& frames =
      symbolizer.Symbolize(42, 0x1234, false);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "0x1234");
  EXPECT_EQ(symbolizer.module(42).path, "");
}

}  // namespace
}  // namespace heaptrail::analyzer
