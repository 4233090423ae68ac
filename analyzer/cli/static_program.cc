// Reads an ELF file's program headers for PT_INTERP.

#include "cli/static_program.h"

#include <elf.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace heaptrail::analyzer {

std::string FindProgram(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = std::getenv("PATH");
  for (absl::string_view directory :
       absl::StrSplit(path != nullptr ? path : "", ':')) {
    std::string candidate = absl::StrCat(
        directory.empty() ? absl::string_view(".") : directory, "/", command);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool IsStaticallyLinked(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  Elf64_Ehdr header;
  if (!file.read(reinterpret_cast<char*>(&header), sizeof(header)) ||
      std::string_view(reinterpret_cast<const char*>(header.e_ident),
                       SELFMAG) != ELFMAG ||
      header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_phentsize != sizeof(Elf64_Phdr) ||
      (header.e_type != ET_EXEC && header.e_type != ET_DYN)) {
    return false;
  }
  bool loadable = false;
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    file.seekg(header.e_phoff + uint64_t{sizeof(segment)} * i);
    if (!file.read(reinterpret_cast<char*>(&segment), sizeof(segment)))
      return false;
    if (segment.p_type == PT_INTERP) return false;
    loadable |= segment.p_type == PT_LOAD;
  }
  return loadable;
}

}  // namespace heaptrail::analyzer
