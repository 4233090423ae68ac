// The `heaptrail` executable: everything is in heaptrail_analysis.

#include <iostream>

#include "cli/cli.h"
#include "cli/progress.h"

#ifdef HEAPTRAIL_USE_MIMALLOC
#include <mimalloc.h>
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
