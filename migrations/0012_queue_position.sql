-- 0012: queue positions as of the scheduler's last ranking, so that reading an instance costs
-- a primary-key lookup however long its GPU type's queue is.
--
-- gaon_queue_position (0006) ranked the whole placement queue on every GET of a waiting
-- instance: 147 ms with 51,000 waiting (docs/performance.md). The fair-FIFO order cannot be an
-- index key — an instance's turn changes when an earlier instance of its tenant leaves the
-- queue, and the tie-break ("served least recently") when its tenant gets an allocation — so
-- no index can count the entries ahead. Instead the scheduler ranks the queue once per pass
-- (gaon_rank_queue below, one set-based statement, only changed rows written) and reads show
-- the stored position with the time of the ranking it came from. See docs/controllers.md.

-- Where each waiting instance stood in its GPU type's queue at the last ranking (1 = next).
-- queued_at identifies the stay in the queue: an instance queued again (a drain, a restart
-- after failure) has a new queued_at, so a row from an earlier stay is never shown.
CREATE TABLE instance_queue_positions (
  tenant_id   text NOT NULL,
  instance_id text NOT NULL,
  queued_at   timestamptz NOT NULL,
  gpu_type_id text NOT NULL,
  position    bigint NOT NULL CONSTRAINT instance_queue_positions_position_check CHECK (position >= 1),
  PRIMARY KEY (tenant_id, instance_id)
);
SELECT gaon_protect_tenant_table('instance_queue_positions');
GRANT SELECT, INSERT, UPDATE, DELETE ON instance_queue_positions TO gaon_app;

-- When each GPU type's queue was last ranked, and how many were waiting then. Not tenant
-- data: every transaction may read it; only operator-wide ones (the scheduler) write it.
CREATE TABLE instance_queue_rankings (
  gpu_type_id text PRIMARY KEY,
  ranked_at   timestamptz NOT NULL,
  waiting     bigint NOT NULL
);
SELECT gaon_protect_platform_table('instance_queue_rankings');
GRANT DELETE ON instance_queue_rankings TO gaon_app;

-- Ranks every GPU type's queue in the scheduler's order (instance_queue, 0006: turn, then the
-- tenant served least recently, then queue time, then id) and stores the result: positions
-- that changed are written, those of instances that left the queue deleted, unchanged rows
-- left alone (a pass that places nothing writes nothing but the ranking times). Needs
-- operator-wide visibility (the scheduler's transaction). Returns the position rows written
-- or deleted.
CREATE FUNCTION gaon_rank_queue() RETURNS bigint
  LANGUAGE sql VOLATILE
  AS $$
  WITH ranked AS (
    SELECT tenant_id, instance_id, queued_at, gpu_type_id,
           row_number() OVER (PARTITION BY gpu_type_id ORDER BY turn, served, queued_at, instance_id) AS position
    FROM instance_queue),
  gone AS (
    DELETE FROM instance_queue_positions p
    WHERE NOT EXISTS (SELECT 1 FROM ranked r WHERE r.tenant_id = p.tenant_id AND r.instance_id = p.instance_id)
    RETURNING 1),
  put AS (
    INSERT INTO instance_queue_positions AS p (tenant_id, instance_id, queued_at, gpu_type_id, position)
    SELECT tenant_id, instance_id, queued_at, gpu_type_id, position FROM ranked
    ON CONFLICT (tenant_id, instance_id) DO UPDATE
      SET queued_at = excluded.queued_at, gpu_type_id = excluded.gpu_type_id, position = excluded.position
      WHERE (p.queued_at, p.gpu_type_id, p.position) IS DISTINCT FROM
            (excluded.queued_at, excluded.gpu_type_id, excluded.position)
    RETURNING 1),
  stamped AS (
    INSERT INTO instance_queue_rankings AS k (gpu_type_id, ranked_at, waiting)
    SELECT gpu_type_id, statement_timestamp(), count(*) FROM ranked GROUP BY gpu_type_id
    ON CONFLICT (gpu_type_id) DO UPDATE SET ranked_at = excluded.ranked_at, waiting = excluded.waiting),
  emptied AS (
    DELETE FROM instance_queue_rankings k WHERE NOT EXISTS (SELECT 1 FROM ranked r WHERE r.gpu_type_id = k.gpu_type_id))
  SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM put)
$$;

-- Nothing reads it any more: a read's position comes from instance_queue_positions.
DROP FUNCTION gaon_queue_position(text, text);
