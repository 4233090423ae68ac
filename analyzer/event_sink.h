// The receiver of heap events in their rebuilt global order.

#ifndef HEAPTRAIL_ANALYZER_EVENT_SINK_H_
#define HEAPTRAIL_ANALYZER_EVENT_SINK_H_

#include "records.h"

namespace heaptrail::analyzer {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnOrderedEvent(const Event& event) = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EVENT_SINK_H_
