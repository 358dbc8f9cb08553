// Storage-internal: reading instances. Shared by the repositories that return instances (the
// API's, the scheduler's, the controllers').
#pragma once

#include "gaon/model/compute.h"
#include "storage/instance_status.h"
#include "storage/internal/pq.h"

namespace gaon::storage {

// The columns InstanceRow reads, in its order: "SELECT " + kInstanceCols + " FROM instances …".
extern const char* const kInstanceCols;
inline constexpr int kInstanceColCount = 24;
Instance InstanceRow(const ResultRow& r);

// What the controllers read besides: "SELECT " + kInstanceCols + ", " + kRecordCols + ", <node
// state>, <node down reason> FROM instances …" (the node's two columns may be NULL).
extern const char* const kRecordCols;
InstanceRecord InstanceRecordRow(const ResultRow& r);

}  // namespace gaon::storage
