// TraceFile: safe creation, zstd framing, error reporting.

#include "trace_file.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_initStaticCCtx: a context on our own pages
#include <zstd.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private_heap.h"

namespace heaptrail::preload {
namespace {

// Far above the descriptors programs use, so that a program that closes or
// dup2's over low numbers rarely meets ours.
constexpr int kPreferredFd = 1000;

// zstd at level 1 keeps up with a busy program on one core; the writer's
// rounds batch enough data for it to find the repetition in event streams.
constexpr int kCompressionLevel = 1;

}  // namespace

int MoveToHighDescriptor(int fd, bool close_on_exec) {
  int high = fcntl(fd, close_on_exec ? F_DUPFD_CLOEXEC : F_DUPFD, kPreferredFd);
  if (high < 0) return fd;
  close(fd);
  return high;
}

bool TraceFile::Open(const char* path, const format::FileHeader& header) {
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    if (attempt == 0) {
      snprintf(path_, sizeof(path_), "%s", path);
    } else {
      snprintf(path_, sizeof(path_), "%s.%d", path, attempt);
    }
    fd = open(path_, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    Fail("cannot create", errno);
    return false;
  }
  fd_ = MoveToHighDescriptor(fd);
  struct stat st;
  if (fstat(fd_, &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
  sequence_ = 0;
  if (zstd_ != nullptr) {
    // A followed child's new file: the parent's context, without its frame.
    ZSTD_CCtx_reset(zstd_, ZSTD_reset_session_only);
    return WriteAll(&header, sizeof(header));
  }
  if (!CreateCompressor()) {
    Fail("cannot set up compression for", ENOMEM);
    return false;
  }
  return WriteAll(&header, sizeof(header));
}

bool TraceFile::CreateCompressor() {
  // A static context never allocates: compression works at any stage of
  // exit, and the workspace is sized for any chunk at this level.
  size_t workspace_size = ZSTD_estimateCCtxSize(kCompressionLevel);
  void* workspace = AllocatePages(workspace_size);
  compressed_capacity_ = ZSTD_compressBound(format::kMaxChunkRawSize);
  compressed_ = static_cast<uint8_t*>(AllocatePages(compressed_capacity_));
  zstd_ = workspace != nullptr ? ZSTD_initStaticCCtx(workspace, workspace_size) : nullptr;
  if (zstd_ == nullptr || compressed_ == nullptr) {
    FreePages(workspace, workspace_size);
    FreePages(compressed_, compressed_capacity_);
    zstd_ = nullptr;
    compressed_ = nullptr;
    return false;
  }
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, kCompressionLevel);
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);
  return true;
}

bool TraceFile::WriteChunk(const uint8_t* records, size_t size) {
  if (fd_ < 0 || size == 0) return fd_ >= 0;
  if (!Reattach()) return false;
  size_t written = ZSTD_compress2(zstd_, compressed_, compressed_capacity_, records, size);
  if (ZSTD_isError(written)) {
    Fail("cannot compress a chunk of", EIO);
    return false;
  }
  format::ChunkHeader chunk = {format::kChunkMagic, static_cast<uint32_t>(written),
                               static_cast<uint32_t>(size), sequence_++};
  return WriteAll(&chunk, sizeof(chunk)) && WriteAll(compressed_, written);
}

bool TraceFile::StillOurs() const {
  struct stat st;
  return fstat(fd_, &st) == 0 && st.st_dev == device_ && st.st_ino == inode_;
}

bool TraceFile::Reattach() {
  if (StillOurs()) return true;
  // The program closed our descriptor (close-all loops, close_range) or
  // dup2'ed its own file over it: never write to what is now the program's;
  // open our file again by name, if it is still the same file.
  int fd = open(path_, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != device_ || st.st_ino != inode_)) {
    close(fd);
    fd = -1;
    errno = ESTALE;
  }
  if (fd < 0) {
    fd_ = -1;  // the number is no longer ours: Fail() must not close it
    Fail("lost the descriptor of", errno);
    return false;
  }
  fd_ = MoveToHighDescriptor(fd);
  return true;
}

bool TraceFile::WriteAll(const void* data, size_t size) {
  // A full file-size limit must give EFBIG, not kill the program with SIGXFSZ:
  // block it, and discard the one our write raised before unblocking.
  sigset_t block, saved, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGXFSZ);
  pthread_sigmask(SIG_BLOCK, &block, &saved);
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGXFSZ);
  auto* p = static_cast<const char*>(data);
  bool ok = true;
  while (size > 0) {
    ssize_t n = write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : ENOSPC;
      if (error == EFBIG && !already_pending) {
        timespec now = {0, 0};
        sigtimedwait(&block, nullptr, &now);
      }
      Fail("cannot write", error);
      ok = false;
      break;
    }
    p += n;
    size -= n;
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return ok;
}

void TraceFile::Fail(const char* what, int error) {
  // One line, then silence: the program goes on without tracking.
  char line[4300];
  int n = snprintf(line, sizeof(line), "heaptrail: %s trace file %s: %s; tracking stopped\n", what,
                   path_, strerror(error));
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, n < int(sizeof(line)) ? n : sizeof(line) - 1);
    (void)ignored;
  }
  Abandon();
}

void TraceFile::Abandon() {
  if (fd_ >= 0 && StillOurs()) close(fd_);
  fd_ = -1;
}

}  // namespace heaptrail::preload
