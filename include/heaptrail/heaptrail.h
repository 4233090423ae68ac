/* heaptrail's public C API: what a traced program may call.
 *
 * Header-only and safe to include in any C or C++ program. Without the
 * preload every function here is a no-op: the calls go through a weak
 * reference that is null unless libheaptrail.so is loaded.
 *
 * Thread-safety: every function may be called from any thread. They are not
 * async-signal-safe; send the snapshot signal from a handler instead.
 */
#ifndef HEAPTRAIL_HEAPTRAIL_H_
#define HEAPTRAIL_HEAPTRAIL_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Exported by libheaptrail.so; weak so that programs run without it. */
extern void heaptrail_take_snapshot(const char* label) __attribute__((weak));

/* Marks a snapshot in the trace: the blocks live at this moment, labelled
 * `label` (may be NULL). `heaptrail snapshots TRACE` lists them and
 * `heaptrail diff TRACE --from A --to B` compares two. Example:
 *
 *   heaptrail_snapshot("before warm-up");
 *   warm_up_caches();
 *   heaptrail_snapshot("after warm-up");
 */
static inline void heaptrail_snapshot(const char* label) {
  if (heaptrail_take_snapshot) heaptrail_take_snapshot(label);
}

#ifdef __cplusplus
}
#endif

#endif /* HEAPTRAIL_HEAPTRAIL_H_ */
