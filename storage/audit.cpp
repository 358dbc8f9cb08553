#include "storage/audit.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kHashArgs =
    "prev_hash, tenant_id, seq, event_id, at, principal_type, principal_id, principal_name, operator_reason, "
    "action, resource_type, resource_id, request_id, source_address, user_agent, outcome, status, changes";

constexpr Sql kAppend{
    "audit.append",
    "WITH head AS (SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1 FOR UPDATE), "
    "ev AS (SELECT $1::text AS tenant_id, head.seq + 1 AS seq, $2::text AS event_id, $3::timestamptz AS at, "
    "$4::text AS principal_type, $5::text AS principal_id, $6::text AS principal_name, $7::text AS operator_reason, "
    "$8::text AS action, $9::text AS resource_type, $10::text AS resource_id, $11::text AS request_id, "
    "$12::text AS source_address, $13::text AS user_agent, $14::text AS outcome, $15::int AS status, "
    "$16::jsonb AS changes, head.hash AS prev_hash FROM head), "
    "ins AS (INSERT INTO audit_events (tenant_id, seq, event_id, at, principal_type, principal_id, principal_name, "
    "operator_reason, action, resource_type, resource_id, request_id, source_address, user_agent, outcome, status, "
    "changes, prev_hash, hash) SELECT tenant_id, seq, event_id, at, principal_type, principal_id, principal_name, "
    "operator_reason, action, resource_type, resource_id, request_id, source_address, user_agent, outcome, status, "
    "changes, prev_hash, gaon_audit_hash(prev_hash, tenant_id, seq, event_id, at, principal_type, principal_id, "
    "principal_name, operator_reason, action, resource_type, resource_id, request_id, source_address, user_agent, "
    "outcome, status, changes) FROM ev RETURNING seq, prev_hash, hash), "
    "head_moved AS (UPDATE audit_chain_heads h SET seq = ins.seq, hash = ins.hash FROM ins WHERE h.tenant_id = $1 "
    "RETURNING ins.seq) "
    "SELECT coalesce((SELECT seq FROM head_moved), gaon_fail('no audit chain for ' || $1))"};

constexpr Sql kPlatformOn{"audit.platform_on",
                          "SELECT set_config('gaon.platform_saved', current_setting('gaon.platform', true), true), "
                          "set_config('gaon.platform', 'on', true)"};
constexpr Sql kPlatformRestore{"audit.platform_restore",
                               "SELECT set_config('gaon.platform', current_setting('gaon.platform_saved', true), true)"};

constexpr const char* kEventCols =
    "event_id, tenant_id, seq, at, principal_type, principal_id, principal_name, operator_reason, action, "
    "resource_type, resource_id, request_id, source_address, user_agent, outcome, status, changes, prev_hash, hash";

constexpr Sql kList{
    "audit.list",
    "SELECT event_id, tenant_id, seq, at, principal_type, principal_id, principal_name, operator_reason, action, "
    "resource_type, resource_id, request_id, source_address, user_agent, outcome, status, changes, prev_hash, hash "
    "FROM audit_events WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND "
    "($3::timestamptz IS NULL OR at < $3) AND ($4::text IS NULL OR action = $4) AND "
    "($5::text IS NULL OR principal_id = $5) AND ($6::bigint IS NULL OR seq < $6) ORDER BY seq DESC LIMIT $7"};

// Every event with its recomputed hash and its predecessor, first broken link first.
constexpr Sql kVerify{
    "audit.verify",
    "WITH chain AS (SELECT seq, event_id, prev_hash, hash, gaon_audit_hash(prev_hash, tenant_id, seq, event_id, at, "
    "principal_type, principal_id, principal_name, operator_reason, action, resource_type, resource_id, request_id, "
    "source_address, user_agent, outcome, status, changes) AS computed, lag(hash) OVER w AS before_hash, "
    "lag(seq) OVER w AS before_seq FROM audit_events WHERE tenant_id = $1 WINDOW w AS (ORDER BY seq)) "
    "SELECT (SELECT count(*) FROM chain), (SELECT seq FROM audit_chain_heads WHERE tenant_id = $1), "
    "(SELECT hash FROM audit_chain_heads WHERE tenant_id = $1), (SELECT max(seq) FROM chain), "
    "(SELECT hash FROM chain ORDER BY seq DESC LIMIT 1), b.seq, b.event_id, b.reason FROM (SELECT 1) one "
    "LEFT JOIN LATERAL (SELECT seq, event_id, CASE WHEN seq <> coalesce(before_seq, 0) + 1 THEN 'sequence_gap' "
    "WHEN prev_hash <> coalesce(before_hash, '') THEN 'prev_hash_mismatch' ELSE 'hash_mismatch' END AS reason "
    "FROM chain WHERE seq <> coalesce(before_seq, 0) + 1 OR prev_hash <> coalesce(before_hash, '') OR "
    "hash <> computed ORDER BY seq LIMIT 1) b ON true"};

AuditEvent Row(const ResultRow& r) {
  AuditEvent e;
  e.id = AuditEventId::FromTrusted(r[0].c_str());
  e.tenant_id = r[1].c_str();
  e.seq = r[2].as<std::int64_t>();
  e.time = Ts(r[3]);
  e.principal = {r[4].c_str(), r[5].c_str(), r[6].c_str()};
  e.operator_reason = OptStr(r[7]);
  e.action = r[8].c_str();
  e.resource_type = r[9].c_str();
  e.resource_id = r[10].c_str();
  e.request_id = r[11].c_str();
  e.source_address = r[12].c_str();
  e.user_agent = r[13].c_str();
  e.outcome = r[14].c_str();
  e.status = r[15].as<int>();
  e.changes = r[16].is_null() ? boost::json::value(nullptr) : boost::json::parse(r[16].c_str());
  e.prev_hash = r[17].c_str();
  e.hash = r[18].c_str();
  return e;
}

}  // namespace

Status AppendAuditEvent(Tx& tx, const AuditEvent& e) {
  // The platform chain is writable only with operator-wide access: switch it on for this one
  // statement when the transaction does not already have it.
  const bool lift = e.tenant_id == kPlatformChain && !tx.options().platform;
  if (lift) ExecLater(tx, kPlatformOn);
  std::optional<std::string> changes;
  if (!e.changes.is_null()) changes = boost::json::serialize(e.changes);
  ExecLater(tx, kAppend, e.tenant_id, e.id.str(), FormatTimestamp(e.time), e.principal.type, e.principal.id,
            e.principal.name, e.operator_reason, e.action, e.resource_type, e.resource_id, e.request_id,
            e.source_address, e.user_agent, e.outcome, e.status, changes);
  if (lift) ExecLater(tx, kPlatformRestore);
  return Status::Ok();
}

StatusOr<Page<AuditEvent>> ListAuditEvents(Tx& tx, const std::string& chain, const AuditQuery& q) {
  return ToPage<AuditEvent>(Exec(tx, kList, chain, TsParam(q.since), TsParam(q.until), q.action, q.principal_id,
                                 q.before_seq, q.page_size + 1),
                            q.page_size, Row, [](const AuditEvent& e) { return std::to_string(e.seq); });
}

StatusOr<AuditVerification> VerifyAuditChain(Tx& tx, const std::string& chain) {
  const auto r = Exec(tx, kVerify, chain);
  const auto& row = r[0];
  AuditVerification v;
  v.tenant_id = chain;
  v.events_checked = row[0].as<std::int64_t>();
  if (!row[5].is_null()) {
    v.intact = false;
    v.first_broken = AuditBreak{row[5].as<std::int64_t>(), row[6].c_str(), row[7].c_str()};
    return v;
  }
  // The head must point at the last event: otherwise events were removed from the end.
  const std::int64_t head_seq = row[1].is_null() ? 0 : row[1].as<std::int64_t>();
  const std::int64_t last_seq = row[3].is_null() ? 0 : row[3].as<std::int64_t>();
  if (head_seq != last_seq || (last_seq > 0 && Str(row[2]) != Str(row[4]))) {
    v.intact = false;
    v.first_broken = AuditBreak{last_seq + 1, "", "truncated"};
  }
  return v;
}

}  // namespace gaon::storage
