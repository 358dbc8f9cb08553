-- 0017: the placement queue's view carries what ordering it needs, not every column.
--
-- instance_queue (0006) was `SELECT i.*` plus the fair-order columns, and its window function
-- sorts every waiting instance: with 10,000 waiting that sort held ~8 MB of wide rows
-- (conditions, labels, user data) and spilled to disk, 70 ms of a scheduler pass's ~100. The
-- scheduler now ranks the narrow rows and reads the full rows of the batch it takes only
-- (storage/fleet.cpp, "queue"); gaon_queue_position and gaon_rank_queue read these columns
-- only. 37 ms for the same 10,000 (EXPLAIN ANALYZE, 2026-11-29).
DROP VIEW instance_queue;
CREATE VIEW instance_queue AS
  SELECT i.tenant_id, i.instance_id, i.gpu_type_id, i.queued_at,
         row_number() OVER (PARTITION BY i.tenant_id, i.gpu_type_id ORDER BY i.queued_at, i.instance_id) AS turn,
         coalesce(s.served, '-infinity') AS served
  FROM instances i
  LEFT JOIN (SELECT tenant_id, max(created_at) AS served FROM allocations GROUP BY tenant_id) s USING (tenant_id)
  WHERE i.node_id IS NULL AND i.deleted_at IS NULL AND i.deletion_requested_at IS NULL
    AND i.desired_state = 'running' AND i.phase = 'Pending';
GRANT SELECT ON instance_queue TO gaon_app;
