// The `heaptrail` executable: everything is in heaptrail_analysis.

#include "cli.h"

#ifdef HEAPTRAIL_USE_MIMALLOC
#include <mimalloc.h>
#endif

int main(int argc, char** argv) {
#ifdef HEAPTRAIL_USE_MIMALLOC
  // A reference to libmimalloc keeps it in DT_NEEDED even under
  // --as-needed, so that it overrides malloc for the whole analyzer.
  (void)mi_version();
#endif
  return heaptrail::analyzer::RunCli(argc, argv);
}
