// Gzip: one deflate stream with a gzip wrapper (windowBits 15 + 16).

#include "export/gzip.h"

#include <zlib.h>

#include <cstdint>

namespace heaptrail::analyzer {

absl::StatusOr<std::string> Gzip(std::string_view data) {
  if (data.size() > UINT32_MAX) {
    return absl::ResourceExhaustedError(
        "profile too large to compress (> 4 GiB)");
  }
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("zlib: cannot start compression");
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InternalError("zlib: compression failed");
  }
  return out;
}

}  // namespace heaptrail::analyzer
