// gzip compression (RFC 1952) through zlib: pprof profiles are gzipped
// profile.proto messages.
//
// Thread-safety: a function.

#ifndef HEAPTRAIL_ANALYZER_EXPORT_GZIP_H_
#define HEAPTRAIL_ANALYZER_EXPORT_GZIP_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

absl::StatusOr<std::string> Gzip(std::string_view data);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_GZIP_H_
