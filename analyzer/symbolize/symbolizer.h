// Offline symbolization of recorded instruction pointers with elfutils libdw.
//
// The recorder stores raw return addresses and the module map of the traced
// process (path, load bias, build-id, segments). This turns an address inside
// one of those modules into source frames: demangled function, file and line,
// with inlined frames expanded. Debug info is found next to the module, by
// build-id under the debug directories (/usr/lib/debug/.build-id/xx/yyyy.debug)
// and through .gnu_debuglink; without DWARF it falls back to the symbol table,
// and without that to "module+0xoffset".
//
// Results are cached per (module, address). Not thread-safe: use one
// Symbolizer per thread.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOLIZER_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOLIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trace/module_info.h"

namespace heaptrail::analyzer {

// One source-level frame. A machine address yields one or more of these: the
// inlined callees first, the function that really holds the code last.
struct SourceFrame {
  std::string function;  // demangled; "libfoo.so+0x1234" when unknown
  std::string file;      // as recorded in DWARF (absolute when known); may be empty
  uint32_t line = 0;     // 0 when unknown
  uint32_t column = 0;
  std::string module;    // path of the module
  bool inlined = false;  // true when this frame was inlined into the next one
  // A frame of Python code (symbolize/python_frames.h): function is its
  // qualified name, file its co_filename, module the interpreter's path.
  bool python = false;
};

struct SymbolizerOptions {
  // Searched for separate debug info, by build-id and by debuglink.
  std::vector<std::string> debug_directories = {"/usr/lib/debug"};
  // Also check the CRC-32 stored in .gnu_debuglink when neither build-id can
  // tell whether a debug file found by name belongs to the module. Off by
  // default: it reads the whole debug file.
  bool verify_debuglink_crc = false;
  // Where inflated copies of compressed debug files are kept between runs
  // (see inflated_elf_cache.h); empty: inflated in memory every time.
  std::string inflated_cache_directory;
};

// The defaults, with the cache directory the environment names
// (HEAPTRAIL_CACHE_DIR, XDG_CACHE_HOME or HOME; see inflated_elf_cache.h).
SymbolizerOptions SymbolizerOptionsFromEnvironment();

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizerOptions options = {});
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Registers a module; returns its index for Symbolize(). Files are opened
  // lazily, on the first address that needs them.
  size_t AddModule(ModuleInfo module);

  // Opens module `module` now rather than on its first lookup. Opening
  // writes libelf's process-wide state (dwfl_begin sets the ELF version
  // flag that every elf_begin reads), so Symbolizers used on several
  // threads must all be preloaded, on one thread, before the threads start.
  // What is loaded later (DWARF, separate debug and dwz files, the symbol
  // table) goes through elf_begin and dwarf_begin_elf, which only read it.
  void Preload(size_t module);

  // Source frames of `address` (an absolute address in the traced process)
  // inside module `module`, innermost first; never empty. A return address
  // (`is_return_address`) is looked up at address - 1 so that the line is the
  // call's, not the next statement's. The reference stays valid for the
  // lifetime of the Symbolizer.
  //
  // Every frame's `module` is the recorded path. Without DWARF the function
  // comes from the ELF symbol table (file empty, line 0); without that, it
  // is "basename+0xOFFSET", OFFSET being the looked-up address minus the
  // load bias (an ELF virtual address: `addr2line -e FILE 0xOFFSET` gives
  // the line). An unknown module index gives "0xADDRESS".
  const std::vector<SourceFrame>& Symbolize(size_t module, uint64_t address,
                                            bool is_return_address);

  const ModuleInfo& module(size_t index) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOLIZER_H_
