// The exported allocation functions: nothing but the interposition itself.
// Each guards against re-entry, forwards to the next allocator in the chain,
// and records the call (a release before the real one, an allocation after).
// The exported set is exactly libheaptrail.map.

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <new>

#include "heaptrail/heaptrail.h"
#include "next_allocator.h"
#include "recorder.h"
#include "trace_file.h"

namespace {

using heaptrail::format::AllocKind;
using heaptrail::format::FreeKind;
using heaptrail::preload::BootstrapAlloc;
using heaptrail::preload::CallerFrame;
using heaptrail::preload::EnterHook;
using heaptrail::preload::IsBootstrapBlock;
using heaptrail::preload::LeaveHook;
using heaptrail::preload::next;
using heaptrail::preload::NextAllocator;
using heaptrail::preload::NextAllocatorReady;
using heaptrail::preload::RecordAllocation;
using heaptrail::preload::RecordReallocFailed;
using heaptrail::preload::RecordRelease;

// Every hook that records an allocation or a release passes HEAPTRAIL_CALLER_FRAME(),
// taken in the exported function itself: the program's innermost frame.

// Resolves the next allocator on the very first call. While it resolves
// (dlsym's own calloc), the bootstrap arena serves.
inline bool EnsureResolved() {
  if (NextAllocatorReady()) [[likely]] return true;
  heaptrail::preload::ResolveNextAllocator();
  return NextAllocatorReady();
}

// The real functions are named by member and read only after EnsureResolved().
template <typename Fn>
using Real = Fn NextAllocator::*;

void* AllocateRecorded(AllocKind kind, Real<void* (*)(size_t)> real, size_t size,
                       CallerFrame caller) {
  if (!EnsureResolved()) return BootstrapAlloc(size, 16);
  if (!EnterHook()) return (next.*real)(size);
  void* ptr = (next.*real)(size);
  if (ptr != nullptr) RecordAllocation(kind, ptr, size, caller);
  LeaveHook();
  return ptr;
}

void ReleaseRecorded(FreeKind kind, void* ptr, CallerFrame caller) {
  if (ptr == nullptr || IsBootstrapBlock(ptr) || !EnsureResolved()) return;
  if (!EnterHook()) return next.free(ptr);
  RecordRelease(kind, ptr, caller);
  next.free(ptr);
  LeaveHook();
}

// operator new may throw (bad_alloc, or from a new_handler): leave the hook
// on the way out.
template <typename... Args>
void* NewRecorded(CallerFrame caller, AllocKind kind, Real<void* (*)(size_t, Args...)> real,
                  size_t size, Args... args) {
  EnsureResolved();
  if (!EnterHook()) return (next.*real)(size, args...);
  void* ptr;
  try {
    ptr = (next.*real)(size, args...);
  } catch (...) {
    LeaveHook();
    throw;
  }
  if (ptr != nullptr) RecordAllocation(kind, ptr, size, caller);
  LeaveHook();
  return ptr;
}

template <typename... Args>
void DeleteRecorded(CallerFrame caller, FreeKind kind, Real<void (*)(void*, Args...)> real,
                    void* ptr, Args... args) {
  if (ptr == nullptr || !EnsureResolved()) return;
  if (!EnterHook()) return (next.*real)(ptr, args...);
  RecordRelease(kind, ptr, caller);
  (next.*real)(ptr, args...);
  LeaveHook();
}

void* AlignedRecorded(AllocKind kind, Real<void* (*)(size_t, size_t)> real, size_t alignment,
                      size_t size, CallerFrame caller) {
  if (!EnsureResolved()) return BootstrapAlloc(size, alignment);
  if (!EnterHook()) return (next.*real)(alignment, size);
  void* ptr = (next.*real)(alignment, size);
  if (ptr != nullptr) RecordAllocation(kind, ptr, size, caller);
  LeaveHook();
  return ptr;
}

void* ReallocRecorded(AllocKind kind, void* ptr, size_t count, size_t size, CallerFrame caller) {
  if (ptr != nullptr && IsBootstrapBlock(ptr)) {
    size_t total = count * size;
    void* moved = AllocateRecorded(AllocKind::kMalloc, &NextAllocator::malloc, total, caller);
    size_t old_size = heaptrail::preload::BootstrapBlockSize(ptr);
    if (moved != nullptr) memcpy(moved, ptr, old_size < total ? old_size : total);
    return moved;
  }
  if (!EnsureResolved()) return BootstrapAlloc(count * size, 16);
  auto real = [&] {
    return kind == AllocKind::kReallocArray ? next.reallocarray(ptr, count, size)
                                            : next.realloc(ptr, size);
  };
  if (!EnterHook()) return real();
  if (ptr != nullptr) RecordRelease(FreeKind::kRealloc, ptr, caller);
  void* result = real();
  if (result != nullptr) {
    RecordAllocation(kind, result, count * size, caller);
  } else if (ptr != nullptr && count * size != 0) {
    RecordReallocFailed(ptr);  // the old block is still there
  }
  LeaveHook();
  return result;
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  return AllocateRecorded(AllocKind::kMalloc, &NextAllocator::malloc, size,
                          HEAPTRAIL_CALLER_FRAME());
}

void free(void* ptr) { ReleaseRecorded(FreeKind::kFree, ptr, HEAPTRAIL_CALLER_FRAME()); }

void* calloc(size_t count, size_t size) {
  if (!EnsureResolved()) {  // dlsym's calloc, while resolving
    if (size != 0 && count > SIZE_MAX / size) return nullptr;
    return BootstrapAlloc(count * size, 16);
  }
  if (!EnterHook()) return next.calloc(count, size);
  void* ptr = next.calloc(count, size);
  if (ptr != nullptr) {
    RecordAllocation(AllocKind::kCalloc, ptr, count * size, HEAPTRAIL_CALLER_FRAME());
  }
  LeaveHook();
  return ptr;
}

void* realloc(void* ptr, size_t size) {
  return ReallocRecorded(AllocKind::kRealloc, ptr, 1, size, HEAPTRAIL_CALLER_FRAME());
}

void* reallocarray(void* ptr, size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return nullptr;
  }
  return ReallocRecorded(AllocKind::kReallocArray, ptr, count, size, HEAPTRAIL_CALLER_FRAME());
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (!EnsureResolved()) {
    *out = BootstrapAlloc(size, alignment);
    return *out != nullptr ? 0 : ENOMEM;
  }
  if (!EnterHook()) return next.posix_memalign(out, alignment, size);
  int result = next.posix_memalign(out, alignment, size);
  if (result == 0) {
    RecordAllocation(AllocKind::kPosixMemalign, *out, size, HEAPTRAIL_CALLER_FRAME());
  }
  LeaveHook();
  return result;
}

void* aligned_alloc(size_t alignment, size_t size) {
  return AlignedRecorded(AllocKind::kAlignedAlloc, &NextAllocator::aligned_alloc, alignment, size,
                         HEAPTRAIL_CALLER_FRAME());
}

void* memalign(size_t alignment, size_t size) {
  return AlignedRecorded(AllocKind::kMemalign, &NextAllocator::memalign, alignment, size,
                         HEAPTRAIL_CALLER_FRAME());
}

void* valloc(size_t size) {
  return AllocateRecorded(AllocKind::kValloc, &NextAllocator::valloc, size,
                          HEAPTRAIL_CALLER_FRAME());
}

void* pvalloc(size_t size) {
  return AllocateRecorded(AllocKind::kPvalloc, &NextAllocator::pvalloc, size,
                          HEAPTRAIL_CALLER_FRAME());
}

size_t malloc_usable_size(void* ptr) {
  if (ptr != nullptr && IsBootstrapBlock(ptr)) return heaptrail::preload::BootstrapBlockSize(ptr);
  if (!EnsureResolved()) return 0;
  return next.malloc_usable_size(ptr);
}

void free_sized(void* ptr, size_t size) {
  if (ptr == nullptr || IsBootstrapBlock(ptr) || !EnsureResolved()) return;
  if (next.free_sized == nullptr) return ReleaseRecorded(FreeKind::kFreeSized, ptr, HEAPTRAIL_CALLER_FRAME());
  if (!EnterHook()) return next.free_sized(ptr, size);
  RecordRelease(FreeKind::kFreeSized, ptr, HEAPTRAIL_CALLER_FRAME());
  next.free_sized(ptr, size);
  LeaveHook();
}

void free_aligned_sized(void* ptr, size_t alignment, size_t size) {
  if (ptr == nullptr || IsBootstrapBlock(ptr) || !EnsureResolved()) return;
  if (next.free_aligned_sized == nullptr) return ReleaseRecorded(FreeKind::kFreeAlignedSized, ptr, HEAPTRAIL_CALLER_FRAME());
  if (!EnterHook()) return next.free_aligned_sized(ptr, alignment, size);
  RecordRelease(FreeKind::kFreeAlignedSized, ptr, HEAPTRAIL_CALLER_FRAME());
  next.free_aligned_sized(ptr, alignment, size);
  LeaveHook();
}

void heaptrail_take_snapshot(const char* label) { heaptrail::preload::RecordApiSnapshot(label); }

// _exit and exec skip the library's destructor: flush first.
void _exit(int status) {
  heaptrail::preload::FlushTrace(/*final=*/true);
  syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

void _Exit(int status) { _exit(status); }

// libunwind checks addresses by writing them into a pipe it opens on first
// use (and again after the program closed it), at the lowest free numbers: a
// program that later dup2's its own file over them would receive those
// bytes. A pipe opened from inside the tracker (only libunwind opens one
// there) is moved to numbers >= 1000, next to the trace file.
int pipe2(int fds[2], int flags) {
  using Fn = int (*)(int*, int);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "pipe2"));
  int result = real(fds, flags);
  if (result == 0 && heaptrail::preload::tls.busy) {
    for (int i = 0; i < 2; ++i) {
      fds[i] = heaptrail::preload::MoveToHighDescriptor(fds[i], (flags & O_CLOEXEC) != 0);
    }
  }
  return result;
}

// clone() without CLONE_VM makes a process, as fork() does, but glibc runs
// no atfork handler for it (Chromium launches its children so): the
// recorder's fork handlers run here. The child starts in CloneChildStart,
// whose argument lives in the parent's stack frame: the child has a copy.
struct CloneChild {
  int (*start)(void*);
  void* argument;
};

static int CloneChildStart(void* child) {
  heaptrail::preload::AfterProcessCloneInChild();
  auto* copy = static_cast<CloneChild*>(child);
  int status = copy->start(copy->argument);
  heaptrail::preload::BeforeProcessCloneChildReturns();
  return status;
}

int clone(int (*start)(void*), void* stack, int flags, void* argument, ...) noexcept {
  using Fn = int (*)(int (*)(void*), void*, int, void*, ...);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "clone"));
  // The optional arguments are passed on whether given or not, as glibc's
  // own clone reads them: only the flags say which are meaningful.
  va_list list;
  va_start(list, argument);
  auto* parent_tid = va_arg(list, pid_t*);
  void* tls = va_arg(list, void*);
  auto* child_tid = va_arg(list, pid_t*);
  va_end(list);
  if ((flags & CLONE_VM) != 0 || !heaptrail::preload::BeforeProcessClone()) {
    return real(start, stack, flags, argument, parent_tid, tls, child_tid);
  }
  CloneChild child = {start, argument};
  int pid = real(CloneChildStart, stack, flags, &child, parent_tid, tls, child_tid);
  heaptrail::preload::AfterProcessCloneInParent();
  return pid;
}

#define HEAPTRAIL_EXEC_HOOK(name, params, args)                                   \
  int name params {                                                               \
    using Fn = int(*) params;                                                     \
    static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, #name));               \
    heaptrail::preload::FlushTrace(/*final=*/true);                               \
    return real args;                                                             \
  }

// exec replaces the image without running destructors: flush first. If exec
// fails, recording goes on (a later End record supersedes this one).
HEAPTRAIL_EXEC_HOOK(execve, (const char* path, char* const argv[], char* const envp[]),
                    (path, argv, envp))
HEAPTRAIL_EXEC_HOOK(execv, (const char* path, char* const argv[]), (path, argv))
HEAPTRAIL_EXEC_HOOK(execvp, (const char* file, char* const argv[]), (file, argv))
HEAPTRAIL_EXEC_HOOK(execvpe, (const char* file, char* const argv[], char* const envp[]),
                    (file, argv, envp))
HEAPTRAIL_EXEC_HOOK(fexecve, (int fd, char* const argv[], char* const envp[]), (fd, argv, envp))
#undef HEAPTRAIL_EXEC_HOOK

// The list forms: glibc builds the array and calls execve internally, past
// the wrappers above, so they collect their arguments and call those. POSIX
// bounds the arguments by ARG_MAX; the array lives on the stack.
#define HEAPTRAIL_COLLECT_ARGS(first, argv)                                       \
  va_list list;                                                                   \
  va_start(list, first);                                                          \
  size_t count = 1;                                                               \
  {                                                                               \
    va_list counting;                                                             \
    va_copy(counting, list);                                                      \
    while (va_arg(counting, const char*) != nullptr) ++count;                     \
    va_end(counting);                                                             \
  }                                                                               \
  char** argv = static_cast<char**>(__builtin_alloca((count + 1) * sizeof(char*))); \
  argv[0] = const_cast<char*>(first);                                             \
  for (size_t i = 1; i <= count; ++i) argv[i] = va_arg(list, char*);

int execl(const char* path, const char* arg, ...) {
  HEAPTRAIL_COLLECT_ARGS(arg, argv)
  va_end(list);
  return execv(path, argv);
}

int execlp(const char* file, const char* arg, ...) {
  HEAPTRAIL_COLLECT_ARGS(arg, argv)
  va_end(list);
  return execvp(file, argv);
}

int execle(const char* path, const char* arg, ...) {
  HEAPTRAIL_COLLECT_ARGS(arg, argv)
  char* const* envp = va_arg(list, char* const*);
  va_end(list);
  return execve(path, argv, envp);
}
#undef HEAPTRAIL_COLLECT_ARGS

}  // extern "C"

// --- operator new / delete, every form ---------------------------------------------

void* operator new(size_t size) {
  return NewRecorded(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNew, &NextAllocator::new_, size);
}
void* operator new[](size_t size) {
  return NewRecorded(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewArray, &NextAllocator::new_array,
                     size);
}
void* operator new(size_t size, const std::nothrow_t& tag) noexcept {
  return NewRecorded<const std::nothrow_t&>(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNew,
                                            &NextAllocator::new_nothrow, size, tag);
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept {
  return NewRecorded<const std::nothrow_t&>(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewArray,
                                            &NextAllocator::new_array_nothrow, size, tag);
}
void* operator new(size_t size, std::align_val_t align) {
  return NewRecorded(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewAligned, &NextAllocator::new_aligned,
                     size, align);
}
void* operator new[](size_t size, std::align_val_t align) {
  return NewRecorded(HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewArrayAligned,
                     &NextAllocator::new_array_aligned, size, align);
}
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t& tag) noexcept {
  return NewRecorded<std::align_val_t, const std::nothrow_t&>(
      HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewAligned, &NextAllocator::new_aligned_nothrow, size,
      align, tag);
}
void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t& tag) noexcept {
  return NewRecorded<std::align_val_t, const std::nothrow_t&>(
      HEAPTRAIL_CALLER_FRAME(), AllocKind::kNewArrayAligned,
      &NextAllocator::new_array_aligned_nothrow, size, align, tag);
}

void operator delete(void* ptr) noexcept { DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDelete, &NextAllocator::delete_, ptr); }
void operator delete[](void* ptr) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArray, &NextAllocator::delete_array, ptr);
}
void operator delete(void* ptr, size_t) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDelete, &NextAllocator::delete_, ptr);
}
void operator delete[](void* ptr, size_t) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArray, &NextAllocator::delete_array, ptr);
}
void operator delete(void* ptr, const std::nothrow_t&) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDelete, &NextAllocator::delete_, ptr);
}
void operator delete[](void* ptr, const std::nothrow_t&) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArray, &NextAllocator::delete_array, ptr);
}
void operator delete(void* ptr, std::align_val_t align) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteAligned, &NextAllocator::delete_aligned, ptr, align);
}
void operator delete[](void* ptr, std::align_val_t align) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArrayAligned, &NextAllocator::delete_array_aligned, ptr, align);
}
void operator delete(void* ptr, size_t, std::align_val_t align) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteAligned, &NextAllocator::delete_aligned, ptr, align);
}
void operator delete[](void* ptr, size_t, std::align_val_t align) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArrayAligned, &NextAllocator::delete_array_aligned, ptr, align);
}
void operator delete(void* ptr, std::align_val_t align, const std::nothrow_t&) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteAligned, &NextAllocator::delete_aligned, ptr, align);
}
void operator delete[](void* ptr, std::align_val_t align, const std::nothrow_t&) noexcept {
  DeleteRecorded(HEAPTRAIL_CALLER_FRAME(), FreeKind::kDeleteArrayAligned, &NextAllocator::delete_array_aligned, ptr, align);
}
