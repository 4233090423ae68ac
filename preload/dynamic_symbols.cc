// Symbol lookup through each module's PT_DYNAMIC and DT_GNU_HASH.

#include "dynamic_symbols.h"

#include <elf.h>
#include <link.h>

#include <cstring>

namespace heaptrail::preload {
namespace {

struct Search {
  const char* name;
  uint32_t hash;
  DynamicSymbol found;
};

uint32_t GnuHash(const char* name) {
  uint32_t h = 5381;
  for (auto c = reinterpret_cast<const unsigned char*>(name); *c != 0; ++c) h = h * 33 + *c;
  return h;
}

// The loader rewrites the dynamic section's pointers to absolute addresses;
// a module it did not relocate (the vDSO) keeps them relative to its base.
// `mapped_*` bound the module's loaded segments.
uintptr_t Absolute(const dl_phdr_info* info, ElfW(Addr) pointer, uintptr_t mapped_begin,
                   uintptr_t mapped_end) {
  bool inside = pointer >= mapped_begin && pointer < mapped_end;
  return inside ? pointer : info->dlpi_addr + pointer;
}

int SearchModule(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  const ElfW(Dyn)* dynamic = nullptr;
  uintptr_t mapped_begin = UINTPTR_MAX, mapped_end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    if (header.p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + header.p_vaddr);
    } else if (header.p_type == PT_LOAD) {
      uintptr_t begin = info->dlpi_addr + header.p_vaddr;
      if (begin < mapped_begin) mapped_begin = begin;
      if (begin + header.p_memsz > mapped_end) mapped_end = begin + header.p_memsz;
    }
  }
  if (dynamic == nullptr) return 0;
  const ElfW(Sym)* symbols = nullptr;
  const char* strings = nullptr;
  const uint32_t* gnu_hash = nullptr;
  for (const ElfW(Dyn)* d = dynamic; d->d_tag != DT_NULL; ++d) {
    uintptr_t pointer = Absolute(info, d->d_un.d_ptr, mapped_begin, mapped_end);
    if (d->d_tag == DT_SYMTAB) symbols = reinterpret_cast<const ElfW(Sym)*>(pointer);
    if (d->d_tag == DT_STRTAB) strings = reinterpret_cast<const char*>(pointer);
    if (d->d_tag == DT_GNU_HASH) gnu_hash = reinterpret_cast<const uint32_t*>(pointer);
  }
  if (symbols == nullptr || strings == nullptr || gnu_hash == nullptr) return 0;
  // DT_GNU_HASH: nbuckets, symoffset, bloom words, bloom shift, the bloom
  // filter, the buckets, then one hash per symbol from symoffset on (bit 0:
  // the last of its bucket's chain).
  uint32_t buckets = gnu_hash[0], first = gnu_hash[1], bloom_words = gnu_hash[2];
  if (buckets == 0) return 0;
  auto* bucket = gnu_hash + 4 + bloom_words * (sizeof(ElfW(Addr)) / 4);
  const uint32_t* chain = bucket + buckets;
  uint32_t index = bucket[search->hash % buckets];
  if (index < first) return 0;
  for (;; ++index) {
    uint32_t hash = chain[index - first];
    const ElfW(Sym)& symbol = symbols[index];
    // Defined, and an address (not an absolute value, not a TLS offset).
    if ((hash | 1) == (search->hash | 1) && symbol.st_shndx != SHN_UNDEF &&
        symbol.st_shndx != SHN_ABS && ELF64_ST_TYPE(symbol.st_info) != STT_TLS &&
        std::strcmp(strings + symbol.st_name, search->name) == 0) {
      search->found = {info->dlpi_addr + symbol.st_value, symbol.st_size};
      return 1;  // stops the iteration
    }
    if (hash & 1) return 0;
  }
}

}  // namespace

DynamicSymbol FindDynamicSymbol(const char* name) {
  Search search = {name, GnuHash(name), {}};
  dl_iterate_phdr(SearchModule, &search);
  return search.found;
}

}  // namespace heaptrail::preload
