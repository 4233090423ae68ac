// Early-return helpers for absl::Status / absl::StatusOr, so that the
// decoders read as a straight sequence of fields instead of nested checks.

#ifndef HEAPTRAIL_ANALYZER_TRACE_STATUS_MACROS_H_
#define HEAPTRAIL_ANALYZER_TRACE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the Status of `expr` from the enclosing function unless it is OK.
#define HEAPTRAIL_RETURN_IF_ERROR(expr)                 \
  do {                                                  \
    if (absl::Status _status = (expr); !_status.ok()) { \
      return _status;                                   \
    }                                                   \
  } while (0)

#define HEAPTRAIL_STATUS_CONCAT_INNER_(a, b) a##b
#define HEAPTRAIL_STATUS_CONCAT_(a, b) HEAPTRAIL_STATUS_CONCAT_INNER_(a, b)

// `lhs = value of expr`, or returns its Status. `lhs` may declare a variable:
//   HEAPTRAIL_ASSIGN_OR_RETURN(uint64_t size, cursor.ReadVarint());
#define HEAPTRAIL_ASSIGN_OR_RETURN(lhs, expr) \
  HEAPTRAIL_ASSIGN_OR_RETURN_IMPL_(           \
      HEAPTRAIL_STATUS_CONCAT_(_statusor_, __LINE__), lhs, expr)

#define HEAPTRAIL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                     \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // HEAPTRAIL_ANALYZER_TRACE_STATUS_MACROS_H_
