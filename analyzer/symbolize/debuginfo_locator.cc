// Separate debug info lookup: see debuginfo_locator.h for the search order.
// Every candidate is opened once, checked with libelf, and either handed on
// (its descriptor then belongs to libdwfl) or closed here.

#include "symbolize/debuginfo_locator.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

// Directory part of `path` without the trailing slash; "." when none.
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// How a candidate must prove that it belongs to the module.
struct Expectation {
  std::string_view build_id;         // may be empty when unknown
  bool build_id_required = false;    // build-id lookups: a match is the point
  std::optional<uint32_t> crc;       // debuglink lookups with CRC checking
  const struct stat* exclude = nullptr;  // the module file itself
};

std::optional<LocatedFile> OpenCandidate(const std::string& path,
                                         const Expectation& expect) {
  UniqueFd fd(OpenReadOnly(path));
  if (!fd.valid()) return std::nullopt;
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if (expect.exclude != nullptr && SameFile(st, *expect.exclude)) {
    return std::nullopt;
  }
  std::optional<ElfFacts> facts = ReadElfFacts(fd.get());
  if (!facts) return std::nullopt;

  if (!expect.build_id.empty() && !facts->build_id.empty()) {
    if (facts->build_id != expect.build_id) return std::nullopt;
  } else if (expect.build_id_required) {
    return std::nullopt;
  } else if (expect.crc) {
    std::optional<uint32_t> crc = FileCrc32(fd.get());
    if (!crc || *crc != *expect.crc) return std::nullopt;
  }
  return LocatedFile{std::move(fd), path, std::move(*facts)};
}

// Contents of the section called `name`, or an empty view.
std::string_view SectionBytes(Elf* elf, size_t shstrndx, const char* name) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* scn_name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (scn_name == nullptr || std::strcmp(scn_name, name) != 0) continue;
    if (shdr.sh_type == SHT_NOBITS) return {};
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return {};
    return {static_cast<const char*>(data->d_buf), data->d_size};
  }
  return {};
}

}  // namespace

int OpenReadOnly(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == EMFILE) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
        limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      }
    }
  }
  return fd;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

int UniqueFd::Release() { return std::exchange(fd_, -1); }

std::optional<ElfFacts> ReadElfFacts(int fd) {
  // libelf refuses to work until told which ELF version the caller speaks.
  static const bool kElfReady = elf_version(EV_CURRENT) != EV_NONE;
  if (!kElfReady) return std::nullopt;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return std::nullopt;
  if (elf_kind(elf) != ELF_K_ELF) {
    elf_end(elf);
    return std::nullopt;
  }
  ElfFacts facts;
  const void* build_id = nullptr;
  const ssize_t build_id_len = dwelf_elf_gnu_build_id(elf, &build_id);
  if (build_id_len > 0) {
    facts.build_id.assign(static_cast<const char*>(build_id), build_id_len);
  }
  GElf_Word crc = 0;
  if (const char* link = dwelf_elf_gnu_debuglink(elf, &crc); link != nullptr) {
    facts.debuglink = link;
    facts.debuglink_crc = crc;
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
    facts.has_dwarf = !SectionBytes(elf, shstrndx, ".debug_info").empty() ||
                      !SectionBytes(elf, shstrndx, ".zdebug_info").empty();
    // .gnu_debugaltlink: the file name, a NUL, then the build-id bytes.
    const std::string_view alt =
        SectionBytes(elf, shstrndx, ".gnu_debugaltlink");
    const size_t nul = alt.find('\0');
    if (nul != std::string_view::npos && nul > 0) {
      facts.altlink = std::string(alt.substr(0, nul));
      facts.altlink_build_id = std::string(alt.substr(nul + 1));
    }
  }
  elf_end(elf);
  return facts;
}

std::string BuildIdHex(std::string_view build_id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(build_id.size() * 2);
  for (const char c : build_id) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

std::optional<uint32_t> FileCrc32(int fd) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xffffffffu;
  std::array<unsigned char, 64 * 1024> buffer;
  off_t offset = 0;
  for (;;) {
    const ssize_t n = pread(fd, buffer.data(), buffer.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      crc = kTable[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
    }
    offset += n;
  }
  return crc ^ 0xffffffffu;
}

DebuginfoLocator::DebuginfoLocator(std::vector<std::string> debug_directories,
                                   bool verify_debuglink_crc)
    : debug_directories_(std::move(debug_directories)),
      verify_debuglink_crc_(verify_debuglink_crc) {}

std::optional<LocatedFile> DebuginfoLocator::FindByBuildId(
    std::string_view build_id) const {
  // One byte for the directory and at least one for the name.
  if (build_id.size() < 2) return std::nullopt;
  const std::string hex = BuildIdHex(build_id);
  const std::string relative =
      ".build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
  Expectation expect;
  expect.build_id = build_id;
  expect.build_id_required = true;
  for (const std::string& dir : debug_directories_) {
    if (auto found = OpenCandidate(JoinPath(dir, relative), expect)) {
      return found;
    }
  }
  return std::nullopt;
}

std::optional<LocatedFile> DebuginfoLocator::FindDebugFile(
    const std::string& path, const ElfFacts& facts,
    const struct stat& module_stat) const {
  if (!facts.build_id.empty()) {
    if (auto found = FindByBuildId(facts.build_id)) return found;
  }
  if (facts.debuglink.empty()) return std::nullopt;

  Expectation expect;
  expect.build_id = facts.build_id;
  if (verify_debuglink_crc_) expect.crc = facts.debuglink_crc;
  expect.exclude = &module_stat;
  std::vector<std::string> candidates;
  if (facts.debuglink.front() == '/') candidates.push_back(facts.debuglink);
  const std::string dir = DirName(path);
  candidates.push_back(JoinPath(dir, facts.debuglink));
  candidates.push_back(JoinPath(JoinPath(dir, ".debug"), facts.debuglink));
  for (const std::string& debug_dir : debug_directories_) {
    // <debugdir>/<dir of file>/<link>: the module's directory is absolute,
    // so it is appended, not joined.
    std::string base = debug_dir;
    while (!base.empty() && base.back() == '/') base.pop_back();
    candidates.push_back(
        JoinPath(dir.front() == '/' ? base + dir : JoinPath(base, dir),
                 facts.debuglink));
  }
  for (const std::string& candidate : candidates) {
    if (auto found = OpenCandidate(candidate, expect)) return found;
  }
  return std::nullopt;
}

std::optional<LocatedFile> DebuginfoLocator::FindAltFile(
    const std::string& debug_path, const std::string& altlink,
    std::string_view alt_build_id) const {
  if (!alt_build_id.empty()) {
    if (auto found = FindByBuildId(alt_build_id)) return found;
  }
  if (altlink.empty()) return std::nullopt;
  const std::string path =
      altlink.front() == '/' ? altlink : JoinPath(DirName(debug_path), altlink);
  Expectation expect;
  expect.build_id = alt_build_id;
  return OpenCandidate(path, expect);
}

}  // namespace heaptrail::analyzer::symbolize_internal
