#include "storage/quotas.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

// Exact admission in one statement: add the request to the tenant's usage rows and report
// the first dimension that is now over its limit. The upsert locks each usage row and adds to
// its latest committed value (ON CONFLICT DO UPDATE waits for a concurrent admission and then
// sees its result), so concurrent admissions of a tenant serialise on the rows they share — at
// least "instances" — and none can count on usage another is adding. When a dimension is over,
// the caller fails and its transaction rolls the additions back. Rows are taken in dimension
// order so two admissions never wait on each other crosswise.
constexpr Sql kAdmit{
    "quotas.admit",
    "WITH d AS (SELECT * FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS d(dim, amount, ord)), "
    "added AS (INSERT INTO quota_usage AS u (tenant_id, dimension, used) "
    "SELECT $1, dim, amount FROM d ORDER BY dim "
    "ON CONFLICT (tenant_id, dimension) DO UPDATE SET used = u.used + excluded.used RETURNING u.dimension, u.used) "
    "SELECT added.dimension, q.limit_value, added.used - d.amount, d.amount FROM added "
    "JOIN d ON d.dim = added.dimension JOIN quotas q ON q.tenant_id = $1 AND q.dimension = added.dimension "
    "WHERE added.used > q.limit_value ORDER BY d.ord LIMIT 1"};
constexpr Sql kSub{"quotas.release_usage",
                   "UPDATE quota_usage u SET used = greatest(u.used - d.amount, 0) "
                   "FROM unnest($2::text[], $3::bigint[]) AS d(dim, amount) "
                   "WHERE u.tenant_id = $1 AND u.dimension = d.dim"};
constexpr Sql kList{"quotas.list",
                    "SELECT q.dimension, q.limit_value, coalesce(u.used, 0) FROM quotas q LEFT JOIN quota_usage u ON "
                    "u.tenant_id = q.tenant_id AND u.dimension = q.dimension WHERE q.tenant_id = $1 ORDER BY "
                    "array_position(ARRAY['instances', 'gpus', 'vcpus', 'memory_gib', 'endpoints'], q.dimension), "
                    "q.dimension"};
constexpr Sql kSet{"quotas.set",
                   "INSERT INTO quotas (tenant_id, dimension, limit_value) VALUES ($1, $2, $3) ON CONFLICT "
                   "(tenant_id, dimension) DO UPDATE SET limit_value = excluded.limit_value, updated_at = now()"};
constexpr Sql kRemove{"quotas.remove", "DELETE FROM quotas WHERE tenant_id = $1 AND dimension = $2"};
constexpr Sql kLimit{"quotas.limit", "SELECT limit_value FROM quotas WHERE tenant_id = $1 AND dimension = $2"};

constexpr const char* kRequestCols =
    "request_id, tenant_id, dimension, requested_limit, reason, state, previous_limit, approved_limit, "
    "decision_note, requested_by, decided_by, decided_at, created_at, updated_at, resource_version";

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"insert", std::string("INSERT INTO quota_requests (tenant_id, request_id, dimension, requested_limit, reason, "
                             "previous_limit, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ") +
                     kRequestCols},
      {"get", std::string("SELECT ") + kRequestCols + " FROM quota_requests WHERE tenant_id = $1 AND request_id = $2"},
      {"list", std::string("SELECT ") + kRequestCols +
                   " FROM quota_requests WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR state = $2) "
                   "AND ($3::text IS NULL OR request_id > $3) ORDER BY request_id LIMIT $4"},
      {"decide", std::string("UPDATE quota_requests SET state = $3, approved_limit = $4, decision_note = $5, "
                             "decided_by = $6, decided_at = now(), updated_at = now(), resource_version = "
                             "resource_version + 1 WHERE tenant_id = $1 AND request_id = $2 AND state = 'pending' "
                             "RETURNING ") + kRequestCols},
  };
  return t.at(key);
}

QuotaRequest RequestRow(const ResultRow& r) {
  QuotaRequest q;
  q.id = QuotaRequestId::FromTrusted(r[0].c_str());
  q.tenant_id = TenantId::FromTrusted(r[1].c_str());
  q.dimension = r[2].c_str();
  q.requested_limit = r[3].as<std::int64_t>();
  q.reason = r[4].c_str();
  FromString(r[5].c_str(), &q.state);
  if (!r[6].is_null()) q.previous_limit = r[6].as<std::int64_t>();
  if (!r[7].is_null()) q.approved_limit = r[7].as<std::int64_t>();
  q.decision_note = OptStr(r[8]);
  q.requested_by = r[9].c_str();
  q.decided_by = OptStr(r[10]);
  q.decided_at = OptTs(r[11]);
  q.created_at = Ts(r[12]);
  q.updated_at = Ts(r[13]);
  q.resource_version = r[14].as<std::int64_t>();
  return q;
}

// A footprint as the two array parameters ($2 dimensions, $3 amounts) kAdmit and kSub take.
std::pair<std::string, std::string> Arrays(const Footprint& footprint) {
  std::vector<std::string> dims, amounts;
  for (const auto& [dimension, amount] : footprint) {
    dims.push_back(dimension);
    amounts.push_back(std::to_string(amount));
  }
  return {TextArray(dims), TextArray(amounts)};
}

// The refusal for kAdmit's answer: its row names the first dimension over its limit.
Status QuotaRefusal(const TenantId& tenant, const Result& r) {
  if (r.empty()) return Status::Ok();
  const std::string dimension = r[0][0].c_str();
  const std::string limit = r[0][1].c_str(), used = r[0][2].c_str(), requested = r[0][3].c_str();
  return FailedPrecondition("quota exceeded for " + dimension + ": limit " + limit + ", in use " + used +
                                ", requested " + requested + "; ask for more with POST /v1/tenants/" + tenant.str() +
                                "/quota-requests",
                            "quota_exceeded")
      .WithExtra("dimension", "\"" + dimension + "\"")
      .WithExtra("limit", limit)
      .WithExtra("used", used)
      .WithExtra("requested", requested);
}

}  // namespace

bool IsBaseDimension(const std::string& d) {
  return d == "instances" || d == "gpus" || d == "vcpus" || d == "memory_gib" || d == "endpoints";
}

Status Admit(Tx& tx, const TenantId& tenant, const Footprint& footprint) {
  return QueueAdmit(tx, tenant, footprint).Get();
}

Pending<Status> QueueAdmit(Tx& tx, const TenantId& tenant, const Footprint& footprint) {
  const auto [dims, amounts] = Arrays(footprint);
  return Pending<Status>([d = ExecDeferred(tx, kAdmit, tenant.str(), dims, amounts), tenant]() mutable -> Status {
    return QuotaRefusal(tenant, d.Rows());
  });
}

Status Release(Tx& tx, const TenantId& tenant, const Footprint& footprint) {
  const auto [dims, amounts] = Arrays(footprint);
  ExecLater(tx, kSub, tenant.str(), dims, amounts);
  return Status::Ok();
}

StatusOr<std::vector<Quota>> ListQuotas(Tx& tx, const TenantId& tenant) {
  std::vector<Quota> out;
  for (const auto& row : Exec(tx, kList, tenant.str())) {
    Quota q;
    q.dimension = row[0].c_str();
    q.limit = row[1].as<std::int64_t>();
    q.used = row[2].as<std::int64_t>();
    q.remaining = std::max<std::int64_t>(0, q.limit - q.used);
    out.push_back(std::move(q));
  }
  return out;
}

Status SetQuotaLimits(Tx& tx, const TenantId& tenant, const std::map<std::string, std::optional<std::int64_t>>& limits) {
  for (const auto& [dimension, value] : limits) {
    if (value) {
      Exec(tx, kSet, tenant.str(), dimension, *value);
    } else {
      Exec(tx, kRemove, tenant.str(), dimension);
    }
  }
  return Status::Ok();
}

StatusOr<std::optional<std::int64_t>> QuotaLimit(Tx& tx, const TenantId& tenant, const std::string& dimension) {
  const auto r = Exec(tx, kLimit, tenant.str(), dimension);
  if (r.empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r[0][0].as<std::int64_t>());
}

StatusOr<QuotaRequest> InsertQuotaRequest(Tx& tx, const QuotaRequest& q) {
  return RequestRow(Exec(tx, Sql{"quota_requests.insert", Text("insert")}, q.tenant_id.str(), q.id.str(), q.dimension,
                         q.requested_limit, q.reason, q.previous_limit, q.requested_by)[0]);
}

StatusOr<QuotaRequest> GetQuotaRequest(Tx& tx, const TenantId& tenant, const QuotaRequestId& id) {
  const auto r = Exec(tx, Sql{"quota_requests.get", Text("get")}, tenant.str(), id.str());
  if (r.empty()) return NotFound("quota request " + id.str() + " not found");
  return RequestRow(r[0]);
}

StatusOr<Page<QuotaRequest>> ListQuotaRequests(Tx& tx, const std::optional<TenantId>& tenant,
                                               const std::optional<QuotaRequestState>& state, const ListQuery& q) {
  std::optional<std::string> t, st;
  if (tenant) t = tenant->str();
  if (state) st = std::string(ToString(*state));
  return ToPage<QuotaRequest>(Exec(tx, Sql{"quota_requests.list", Text("list")}, t, st, q.after, q.page_size + 1),
                              q.page_size, RequestRow, [](const QuotaRequest& r) { return r.id.str(); });
}

StatusOr<QuotaRequest> DecideQuotaRequest(Tx& tx, const QuotaRequest& d) {
  const auto r = Exec(tx, Sql{"quota_requests.decide", Text("decide")}, d.tenant_id.str(), d.id.str(),
                      std::string(ToString(d.state)), d.approved_limit, d.decision_note, d.decided_by);
  if (r.empty()) {
    RETURN_IF_ERROR(GetQuotaRequest(tx, d.tenant_id, d.id).status());
    return FailedPrecondition("quota request " + d.id.str() + " was already decided", "quota_request_decided");
  }
  return RequestRow(r[0]);
}

}  // namespace gaon::storage
