// Reading memory that may not be there: the reachability scan reads every
// root and every block it reaches, and a mapping can vanish under it (a
// thread still running at exit unmaps it) or fault on read (a shared file
// mapping past its file's end). A fault inside the copy routine resumes
// after it with a failure, as the kernel's exception tables do; any other
// fault goes to the handler the program had.
//
// Pages that are not resident are skipped without touching them: never
// written (so all zeros), or a file's unmodified pages (which hold no heap
// address). Touching them would map every reserved page of a sanitizer's
// shadow or a runtime's heap reservation. A page swapped out is skipped too.
//
// Thread-safety: one scan at a time; the handler is process-wide while a
// ScopedFaultGuard lives.

#ifndef HEAPTRAIL_PRELOAD_SAFE_READ_H_
#define HEAPTRAIL_PRELOAD_SAFE_READ_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace heaptrail::preload {

// Installs the fault handler for SIGSEGV and SIGBUS; the destructor puts the
// program's back.
class ScopedFaultGuard {
 public:
  ScopedFaultGuard();
  ~ScopedFaultGuard();
  ScopedFaultGuard(const ScopedFaultGuard&) = delete;
  ScopedFaultGuard& operator=(const ScopedFaultGuard&) = delete;
};

// Copies `size` bytes at `source` to `destination`; false if they could not
// be read (the destination is then partly written).
bool SafeCopy(void* destination, uint64_t source, size_t size);

inline bool ReadWord(uint64_t address, uint64_t* value) {
  return SafeCopy(value, address, sizeof(*value));
}

// The resident pages of [begin, end), one page-aligned run at a time:
// `visit(run_begin, run_end)`.
void ForEachResidentRun(uint64_t begin, uint64_t end, void (*visit)(uint64_t, uint64_t, void*),
                        void* context);

// Calls `visit(word)` for every readable, resident, 8-byte aligned word of
// [begin, end).
template <typename Visit>
void ForEachWord(uint64_t begin, uint64_t end, Visit&& visit) {
  constexpr uint64_t kPage = 4096;
  begin = (begin + 7) & ~uint64_t{7};
  end &= ~uint64_t{7};
  if (begin >= end) return;
  auto scan_run = [](uint64_t run_begin, uint64_t run_end, void* context) {
    alignas(64) static uint64_t window[kPage / 8];
    for (uint64_t p = run_begin; p < run_end;) {
      uint64_t window_end = (p & ~(kPage - 1)) + kPage;
      if (window_end > run_end) window_end = run_end;
      size_t words = (window_end - p) / 8;
      if (SafeCopy(window, p, words * 8)) {
        for (size_t i = 0; i < words; ++i) (*static_cast<std::remove_reference_t<Visit>*>(context))(window[i]);
      }
      p = window_end;
    }
  };
  ForEachResidentRun(begin, end, scan_run, &visit);
}

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_SAFE_READ_H_
