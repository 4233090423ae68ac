// The `heaptrail` executable: everything is in heaptrail_analysis.

#include <iostream>

#include "cli/cli.h"
#include "cli/progress.h"

#ifdef HEAPTRAIL_USE_MIMALLOC
#include <mimalloc.h>
#endif

#ifdef HEAPTRAIL_USE_MIMALLOC
namespace {
// Transparent huge pages (2 MiB) for the analyzer's heap: a report of a
// compiler's trace spent a fifth of its CPU in faults on fresh 4 KiB pages
// (11k faults -> 6.5k, 0.85x the wall time; docs/performance.md). mimalloc
// reads the option once, as its library's constructor starts it: set from
// main() it changes nothing, so it is set from the executable's
// .preinit_array, which runs before any library's constructor.
void UseHugePages(int, char**, char**) {
  mi_option_enable(mi_option_large_os_pages);
}
__attribute__((section(".preinit_array"), used)) void (*const use_huge_pages)(
    int, char**, char**) = UseHugePages;
}  // namespace
#endif

int main(int argc, char** argv) {
#ifdef HEAPTRAIL_USE_MIMALLOC
  // A reference to libmimalloc keeps it in DT_NEEDED even under
  // --as-needed, so that it overrides malloc for the whole analyzer.
  (void)mi_version();
#endif
  std::ios::sync_with_stdio(false);
  return heaptrail::analyzer::RunCli(argc, argv, std::cout, std::cerr,
                                     heaptrail::analyzer::StderrIsTerminal(),
                                     /*exit_when_done=*/true);
}
