// The symbolizer: per module, one offline Dwfl opened on first use, a DWARF
// walker on top of it, and a cache of results per (module, address).
//
// Modules are reported to libdwfl at bias 0, so its address space is the ELF
// file's own virtual addresses: an address of the traced process becomes
// `address - load_bias` (the recorded dlpi_addr), with no need for the
// other process's memory map. Each module gets its own Dwfl, so modules
// recorded at overlapping addresses (dlclose, then dlopen of another
// library at the same place) never collide.
//
// Resolution order for one address: DWARF (inline chain, file:line), then
// the ELF symbol table (function only), then "basename+0xOFFSET". A module
// whose file is missing, unreadable, not ELF, or carries a build-id other
// than the recorded one is never read for symbols; its debug file found by
// the recorded build-id is used instead when installed.

#include "symbolize/symbolizer.h"

#include <elfutils/libdwfl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "symbolize/debuginfo_locator.h"
#include "symbolize/dwarf_frames.h"
#include "symbolize/inflated_elf.h"
#include "symbolize/inflated_elf_cache.h"
#include "symbolize/symbol_table.h"

namespace heaptrail::analyzer {
namespace {

using symbolize_internal::DebuginfoLocator;
using symbolize_internal::DwarfFrames;
using symbolize_internal::ElfFacts;
using symbolize_internal::InflatedElf;
using symbolize_internal::InflatedElfCache;
using symbolize_internal::LocatedFile;
using symbolize_internal::ReadElfFacts;
using symbolize_internal::SymbolTable;
using symbolize_internal::UniqueFd;

// Everything about one module; heap-allocated so that libdwfl's userdata
// pointer to it stays valid while the module vector grows.
struct ModuleState {
  ModuleInfo info;
  std::string display_name;  // basename, for "name+0xoffset"
  bool opened = false;

  Dwfl* dwfl = nullptr;
  Dwfl_Module* dwfl_module = nullptr;
  std::unique_ptr<DwarfFrames> dwarf;
  std::unique_ptr<SymbolTable> symbols;  // read on the first symbol lookup

  // Read by the find_debuginfo callback.
  const DebuginfoLocator* locator = nullptr;
  const InflatedElfCache* inflated_cache = nullptr;  // null: none
  std::string elf_path;  // the file reported to libdwfl
  ElfFacts elf_facts;
  struct stat elf_stat = {};
  bool debug_lookup_done = false;
  std::string dwarf_path;  // the file whose DWARF is used; names the altlink
  std::string altlink;
  std::string altlink_build_id;

  ModuleState() = default;
  ModuleState(const ModuleState&) = delete;
  ModuleState& operator=(const ModuleState&) = delete;
  ~ModuleState() {
    dwarf.reset();
    symbols.reset();
    if (dwfl != nullptr) dwfl_end(dwfl);
  }
};

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.empty() ? std::string("<unknown>") : name;
}

// The main file is always reported with its descriptor, so libdwfl never
// has to look for it.
int FindElfNever(Dwfl_Module*, void**, const char*, Dwarf_Addr, char**,
                 Elf**) {
  return -1;
}

// libdwfl asks for the separate debug file when the reported file has no
// DWARF (and for its symbol table), and for the dwz supplementary file when
// the DWARF names one. Ours instead of dwfl_standard_find_debuginfo: that one
// would consult debuginfod (network) and knows nothing of the recorded path.
int FindDebuginfo(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr,
                  const char*, const char* debuglink, GElf_Word,
                  char** debuginfo_file_name) {
  auto* state =
      static_cast<ModuleState*>(userdata != nullptr ? *userdata : nullptr);
  if (state == nullptr || state->locator == nullptr) return -1;
  std::optional<LocatedFile> found;
  if (!state->altlink.empty() && debuglink != nullptr &&
      state->altlink == debuglink) {
    found = state->locator->FindAltFile(state->dwarf_path, state->altlink,
                                        state->altlink_build_id);
  } else if (!state->debug_lookup_done) {
    // Asked again only after a miss (symbol table, then DWARF): the answer
    // would not change.
    state->debug_lookup_done = true;
    found = state->locator->FindDebugFile(state->elf_path, state->elf_facts,
                                          state->elf_stat);
    if (found) {
      state->dwarf_path = found->path;
      state->altlink = found->facts.altlink;
      state->altlink_build_id = found->facts.altlink_build_id;
    }
  }
  if (!found) return -1;
  *debuginfo_file_name = strdup(found->path.c_str());
  // Inflated by us, faster than by libelf (see inflated_elf.h), or kept
  // inflated from an earlier run.
  if (UniqueFd inflated =
          state->inflated_cache != nullptr
              ? state->inflated_cache->Inflated(found->fd.get())
              : InflatedElf(found->fd.get());
      inflated.valid()) {
    return inflated.Release();
  }
  return found->fd.Release();
}

constexpr Dwfl_Callbacks kCallbacks = {
    .find_elf = FindElfNever,
    .find_debuginfo = FindDebuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

}  // namespace

class Symbolizer::Impl {
 public:
  explicit Impl(SymbolizerOptions options)
      : locator_(std::move(options.debug_directories),
                 options.verify_debuglink_crc) {
    if (!options.inflated_cache_directory.empty()) {
      inflated_cache_.emplace(std::move(options.inflated_cache_directory));
    }
  }

  size_t AddModule(ModuleInfo info) {
    auto state = std::make_unique<ModuleState>();
    state->display_name = BaseName(info.path);
    state->info = std::move(info);
    state->locator = &locator_;
    if (inflated_cache_) state->inflated_cache = &*inflated_cache_;
    modules_.push_back(std::move(state));
    return modules_.size() - 1;
  }

  void Preload(size_t module) {
    if (module < modules_.size() && !modules_[module]->opened) {
      Open(*modules_[module]);
    }
  }

  const std::vector<SourceFrame>& Symbolize(size_t module, uint64_t address,
                                            bool is_return_address) {
    // A return address points after the call; one byte back is inside the
    // call instruction, whose line is the one that matters.
    const uint64_t lookup =
        is_return_address && address != 0 ? address - 1 : address;
    auto [it, inserted] = cache_.try_emplace({module, lookup});
    if (inserted) it->second = Resolve(module, lookup);
    return it->second;
  }

  const ModuleInfo& module(size_t index) const {
    static const ModuleInfo* const kNoModule = new ModuleInfo();
    return index < modules_.size() ? modules_[index]->info : *kNoModule;
  }

 private:
  std::vector<SourceFrame> Resolve(size_t module, uint64_t lookup) {
    std::vector<SourceFrame> frames;
    if (module >= modules_.size()) {
      frames.emplace_back().function = absl::StrCat("0x", absl::Hex(lookup));
      return frames;
    }
    ModuleState& state = *modules_[module];
    if (!state.opened) Open(state);

    const uint64_t relative = lookup - state.info.load_bias;
    const std::string offset_name =
        absl::StrCat(state.display_name, "+0x", absl::Hex(relative));
    if (state.dwfl_module != nullptr) {
      state.dwarf->Symbolize(relative, &frames);
      if (frames.empty() || frames.back().function.empty()) {
        std::string symbol = SymbolName(state, relative);
        if (frames.empty() && !symbol.empty()) frames.emplace_back();
        if (!frames.empty()) frames.back().function = std::move(symbol);
      }
    }
    if (frames.empty()) frames.emplace_back();
    for (SourceFrame& frame : frames) {
      if (frame.function.empty()) frame.function = offset_name;
      frame.module = state.info.path;
    }
    return frames;
  }

  static std::string SymbolName(ModuleState& state, uint64_t relative) {
    if (state.symbols == nullptr) {
      state.symbols = std::make_unique<SymbolTable>(state.dwfl_module);
    }
    return state.symbols->Lookup(relative);
  }

  // Picks the file to read for `state` and reports it to a fresh Dwfl.
  // Leaves dwfl_module null when nothing trustworthy can be read.
  void Open(ModuleState& state) {
    state.opened = true;
    const ModuleInfo& info = state.info;
    std::optional<LocatedFile> file;
    if (!info.path.empty()) {
      UniqueFd fd(symbolize_internal::OpenReadOnly(info.path));
      struct stat st;
      if (fd.valid() && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
        std::optional<ElfFacts> facts = ReadElfFacts(fd.get());
        // A file with another build-id is another build (the package was
        // upgraded since the trace): its symbols would be confidently wrong.
        if (facts && (info.build_id.empty() || facts->build_id.empty() ||
                      facts->build_id == info.build_id)) {
          file = LocatedFile{std::move(fd), info.path, std::move(*facts)};
          state.elf_stat = st;
        }
      }
    }
    if (!file && !info.build_id.empty()) {
      // The debug file of the build that ran still describes its code.
      file = locator_.FindByBuildId(info.build_id);
      if (file && fstat(file->fd.get(), &state.elf_stat) != 0) file.reset();
    }
    if (!file) return;

    state.elf_path = file->path;
    state.elf_facts = file->facts;
    if (file->facts.has_dwarf) {
      state.dwarf_path = file->path;
      state.altlink = file->facts.altlink;
      state.altlink_build_id = file->facts.altlink_build_id;
    }
    state.dwfl = dwfl_begin(&kCallbacks);
    if (state.dwfl == nullptr) return;
    const int fd = file->fd.Release();
    // On success libdwfl owns `fd`; on failure it stays ours.
    Dwfl_Module* module =
        dwfl_report_elf(state.dwfl, info.path.c_str(), file->path.c_str(), fd,
                        /*base=*/0, /*add_p_vaddr=*/true);
    if (module == nullptr) {
      close(fd);
      dwfl_end(state.dwfl);
      state.dwfl = nullptr;
      return;
    }
    dwfl_report_end(state.dwfl, nullptr, nullptr);
    void** userdata = nullptr;
    dwfl_module_info(module, &userdata, nullptr, nullptr, nullptr, nullptr,
                     nullptr, nullptr);
    if (userdata != nullptr) *userdata = &state;
    state.dwfl_module = module;
    state.dwarf = std::make_unique<DwarfFrames>(module);
  }

  DebuginfoLocator locator_;
  std::optional<InflatedElfCache> inflated_cache_;
  std::vector<std::unique_ptr<ModuleState>> modules_;
  // node_hash_map: Symbolize() hands out references into the values.
  absl::node_hash_map<std::pair<size_t, uint64_t>, std::vector<SourceFrame>>
      cache_;
};

SymbolizerOptions SymbolizerOptionsFromEnvironment() {
  SymbolizerOptions options;
  options.inflated_cache_directory =
      InflatedElfCache::DirectoryFromEnvironment().value_or("");
  return options;
}

Symbolizer::Symbolizer(SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Symbolizer::~Symbolizer() = default;

size_t Symbolizer::AddModule(ModuleInfo module) {
  return impl_->AddModule(std::move(module));
}

void Symbolizer::Preload(size_t module) { impl_->Preload(module); }

const std::vector<SourceFrame>& Symbolizer::Symbolize(size_t module,
                                                      uint64_t address,
                                                      bool is_return_address) {
  return impl_->Symbolize(module, address, is_return_address);
}

const ModuleInfo& Symbolizer::module(size_t index) const {
  return impl_->module(index);
}

}  // namespace heaptrail::analyzer
