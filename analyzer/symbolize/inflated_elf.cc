// InflatedElf: one pass over the section headers, then the memory file
// written through a mapping: the original bytes around the compressed
// sections, and each section inflated straight into its place.

#include "symbolize/inflated_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

struct DeflateFree {
  void operator()(libdeflate_decompressor* d) const {
    libdeflate_free_decompressor(d);
  }
};

uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

// A section's name, or "" when the names section does not hold it.
std::string_view NameOf(const uint8_t* bytes, uint64_t size,
                        const Elf64_Shdr& names, const Elf64_Shdr& section) {
  if (names.sh_type != SHT_STRTAB || names.sh_offset > size ||
      names.sh_size > size - names.sh_offset ||
      section.sh_name >= names.sh_size) {
    return {};
  }
  const auto* first =
      reinterpret_cast<const char*>(bytes + names.sh_offset + section.sh_name);
  const size_t room = names.sh_size - section.sh_name;
  return std::string_view(first, strnlen(first, room));
}

// DWARF that no symbol, file or line lookup reads: variables' locations and
// macros (.debug_loclists alone is a seventh of glibc's DWARF).
bool NeverRead(std::string_view name) {
  return name == ".debug_loc" || name == ".debug_loclists" ||
         name == ".debug_macro" || name == ".debug_macinfo";
}

}  // namespace

// A mapping, unmapped when it goes.
class ElfInflation::Mapping {
 public:
  Mapping(int fd, size_t size, bool writable)
      : size_(size),
        data_(mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                   writable ? MAP_SHARED : MAP_PRIVATE, fd, 0)) {}
  ~Mapping() {
    if (valid()) munmap(data_, size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  bool valid() const { return data_ != MAP_FAILED; }
  uint8_t* bytes() const { return static_cast<uint8_t*>(data_); }

 private:
  size_t size_;
  void* data_;
};

ElfInflation::ElfInflation(int fd, uint64_t size)
    : original_(std::make_unique<Mapping>(fd, size, /*writable=*/false)),
      original_size_(size) {}

ElfInflation::~ElfInflation() = default;

std::unique_ptr<ElfInflation> ElfInflation::Plan(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) < sizeof(Elf64_Ehdr)) {
    return nullptr;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  std::unique_ptr<ElfInflation> plan(new ElfInflation(fd, size));
  if (!plan->original_->valid()) return nullptr;
  const uint8_t* const bytes = plan->original_->bytes();

  Elf64_Ehdr& header = plan->header_;
  std::memcpy(&header, bytes, sizeof(header));
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0 ||
      header.e_shoff > size ||
      header.e_shnum > (size - header.e_shoff) / sizeof(Elf64_Shdr)) {
    return nullptr;
  }
  std::vector<Elf64_Shdr>& sections = plan->sections_;
  sections.resize(header.e_shnum);
  std::memcpy(sections.data(), bytes + header.e_shoff,
              sections.size() * sizeof(Elf64_Shdr));

  // The inflated sections go after the original bytes, each aligned.
  // Compressed sections that are never read become SHT_NOBITS, which libdw
  // skips, instead of being inflated.
  std::vector<Inflation>& inflations = plan->inflations_;
  std::vector<std::pair<uint64_t, uint64_t>>& skipped = plan->skipped_;
  const Elf64_Shdr no_names{};
  const Elf64_Shdr& names = header.e_shstrndx < sections.size()
                                ? sections[header.e_shstrndx]
                                : no_names;
  uint64_t end = size;
  for (size_t i = 0; i < sections.size(); ++i) {
    Elf64_Shdr& section = sections[i];
    if ((section.sh_flags & SHF_COMPRESSED) == 0 ||
        section.sh_type == SHT_NOBITS) {
      continue;
    }
    if (section.sh_offset > size || section.sh_size > size - section.sh_offset ||
        section.sh_size < sizeof(Elf64_Chdr)) {
      return nullptr;
    }
    if (NeverRead(NameOf(bytes, size, names, section))) {
      skipped.emplace_back(section.sh_offset,
                           section.sh_offset + section.sh_size);
      section.sh_type = SHT_NOBITS;
      section.sh_flags &= ~uint64_t{SHF_COMPRESSED};
      continue;
    }
    Elf64_Chdr compression;
    std::memcpy(&compression, bytes + section.sh_offset, sizeof(compression));
    const uint64_t alignment = std::max<uint64_t>(compression.ch_addralign, 1);
    // Deflate cannot expand a stream more than 1032 times.
    if (compression.ch_type != ELFCOMPRESS_ZLIB ||
        compression.ch_size > kMaxInflatedBytes ||
        compression.ch_size / 1032 > section.sh_size ||
        (alignment & (alignment - 1)) != 0 || alignment > 4096) {
      return nullptr;
    }
    const uint64_t to = AlignUp(end, std::max<uint64_t>(alignment, 8));
    inflations.push_back({i, section.sh_offset + sizeof(Elf64_Chdr),
                          section.sh_size - sizeof(Elf64_Chdr), to,
                          compression.ch_size, alignment});
    end = to + compression.ch_size;
    if (end - size > kMaxInflatedBytes) return nullptr;
  }
  if (inflations.empty() && skipped.empty()) return nullptr;
  // The compressed streams are not copied either: nothing reads them any
  // more, and the pages they would fill are never allocated.
  for (const Inflation& inflation : inflations) {
    skipped.emplace_back(inflation.from, inflation.from + inflation.from_size);
  }
  std::sort(skipped.begin(), skipped.end());
  plan->size_ = end;
  return plan;
}

bool ElfInflation::WriteTo(int out_fd) const {
  if (ftruncate(out_fd, static_cast<off_t>(size_)) != 0) return false;
  // Every byte but the skipped ranges' (holes, never allocated).
  const auto reserve = [out_fd](uint64_t begin, uint64_t end) {
    return end <= begin || fallocate(out_fd, 0, static_cast<off_t>(begin),
                                     static_cast<off_t>(end - begin)) == 0;
  };
  uint64_t from = 0;
  for (const auto& [skipped_from, skipped_to] : skipped_) {
    if (!reserve(from, skipped_from)) return false;
    from = std::max(from, skipped_to);
  }
  if (!reserve(from, size_)) return false;

  const Mapping image(out_fd, size_, /*writable=*/true);
  if (!image.valid()) return false;
  uint8_t* const out = image.bytes();
  const uint8_t* const bytes = original_->bytes();

  uint64_t copied = 0;
  for (const auto& [from, to] : skipped_) {
    if (from > copied) std::memcpy(out + copied, bytes + copied, from - copied);
    copied = std::max(copied, to);
  }
  if (original_size_ > copied) {
    std::memcpy(out + copied, bytes + copied, original_size_ - copied);
  }

  const std::unique_ptr<libdeflate_decompressor, DeflateFree> inflater(
      libdeflate_alloc_decompressor());
  if (inflater == nullptr) return false;
  std::vector<Elf64_Shdr> sections = sections_;
  for (const Inflation& inflation : inflations_) {
    size_t inflated = 0;
    if (libdeflate_zlib_decompress(inflater.get(), bytes + inflation.from,
                                   inflation.from_size, out + inflation.to,
                                   inflation.size, &inflated) !=
            LIBDEFLATE_SUCCESS ||
        inflated != inflation.size) {
      return false;
    }
    Elf64_Shdr& section = sections[inflation.section];
    section.sh_offset = inflation.to;
    section.sh_size = inflation.size;
    section.sh_addralign = inflation.alignment;
    section.sh_flags &= ~uint64_t{SHF_COMPRESSED};
  }
  std::memcpy(out + header_.e_shoff, sections.data(),
              sections.size() * sizeof(Elf64_Shdr));
  return true;
}

UniqueFd InflatedElf(int fd) {
  const std::unique_ptr<ElfInflation> plan = ElfInflation::Plan(fd);
  return plan == nullptr ? UniqueFd() : InflatedInMemory(*plan);
}

UniqueFd InflatedInMemory(const ElfInflation& plan) {
  UniqueFd memory(memfd_create("heaptrail-debuginfo", MFD_CLOEXEC));
  if (!memory.valid() || !plan.WriteTo(memory.get())) return {};
  return memory;
}

}  // namespace heaptrail::analyzer::symbolize_internal
