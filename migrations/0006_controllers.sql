-- 0006: what the controllers need — leases for leader election with fencing, allocations
-- (the scheduler's bookings on nodes), usage records (metering hooks), the simulated fleet's
-- state, and the instance columns a reconciler keeps.

-- ---------------------------------------------------------------- leases
-- One row per controller group. The holder renews before expires_at; anyone may take an
-- expired lease, and taking it bumps `token`. Every write a controller makes starts with
-- gaon_fence(name, token), which holds a share lock on the lease row until the write commits:
-- a takeover waits for writes in flight and every later write of the old holder fails.
CREATE TABLE leases (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  token       bigint NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  renewed_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
SELECT gaon_protect_platform_table('leases');

CREATE FUNCTION gaon_fence(p_name text, p_token bigint) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM leases WHERE name = p_name AND token = p_token AND expires_at > clock_timestamp() FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the % lease (token %) is no longer held', p_name, p_token USING ERRCODE = 'GA001';
  END IF;
END
$$;

-- ---------------------------------------------------------------- allocations
-- What the scheduler booked on a node, per consumer (an instance now, endpoint replicas
-- later). Node counters (nodes.allocated_*) move with these rows in the same transaction,
-- under the node's row lock; nodes_capacity_check makes overbooking impossible even for a
-- buggy caller.
CREATE TABLE allocations (
  consumer_kind text NOT NULL,
  tenant_id     text NOT NULL,
  consumer_id   text NOT NULL,
  node_id       text NOT NULL REFERENCES nodes,
  gpus          integer NOT NULL,
  vcpus         integer NOT NULL,
  memory_gib    integer NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_kind, tenant_id, consumer_id)
);
CREATE INDEX allocations_node_idx ON allocations (node_id);
SELECT gaon_protect_platform_table('allocations');
GRANT DELETE ON allocations TO gaon_app;

-- Why a node is Down; and the policy of a drain in progress (a drained node is Cordoned).
ALTER TABLE nodes ADD COLUMN down_reason text,
                  ADD COLUMN drain_policy text CONSTRAINT nodes_drain_policy_check CHECK (drain_policy IN ('reschedule', 'stop'));

-- ---------------------------------------------------------------- usage records
-- Metering hooks: a record opens when a resource starts consuming (an instance enters
-- Running) and closes when it stops, in the same transaction as the status change. `run` is
-- the resource's count of entries into Running, so a replayed transition finds its record
-- already there (the primary key) instead of opening a second one.
CREATE TABLE usage_records (
  tenant_id        text NOT NULL REFERENCES tenants,
  resource_kind    text NOT NULL,
  resource_id      text NOT NULL,
  run              integer NOT NULL,
  sku              text NOT NULL,       -- the instance type
  gpu_type_id      text,
  gpu_count        integer NOT NULL DEFAULT 0,
  vcpus            integer NOT NULL DEFAULT 0,
  memory_gib       integer NOT NULL DEFAULT 0,
  zone_id          text,
  node_id          text,
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  end_reason       text,
  PRIMARY KEY (tenant_id, resource_kind, resource_id, run),
  CONSTRAINT usage_records_period_check CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX usage_records_open_key ON usage_records (tenant_id, resource_kind, resource_id) WHERE ended_at IS NULL;
SELECT gaon_protect_tenant_table('usage_records');
GRANT SELECT, INSERT, UPDATE ON usage_records TO gaon_app;

-- ---------------------------------------------------------------- instances
ALTER TABLE instances
  ADD COLUMN queued_at      timestamptz NOT NULL DEFAULT now(),  -- when it joined the placement queue
  ADD COLUMN run_count      integer NOT NULL DEFAULT 0,          -- entries into Running
  ADD COLUMN reboots_done   integer NOT NULL DEFAULT 0,          -- reboot requests carried out
  ADD COLUMN failure_reason text,
  ADD COLUMN evicting       boolean NOT NULL DEFAULT false;     -- to be moved off its node (a drain)
-- The placement queue: live instances that want to run and have no node.
CREATE INDEX instances_queue_idx ON instances (gpu_type_id, queued_at)
  WHERE node_id IS NULL AND deleted_at IS NULL AND deletion_requested_at IS NULL AND desired_state = 'running'
    AND phase = 'Pending';
-- What the controllers revisit on a resync: everything not at rest.
CREATE INDEX instances_unsettled_idx ON instances (tenant_id, instance_id) WHERE deleted_at IS NULL;

-- The placement queue, in the order the scheduler serves it. Each GPU type has its own queue;
-- within it tenants take turns (every tenant's n-th waiting instance before anyone's n+1-th),
-- a tie between tenants goes to the one served least recently (its newest allocation is
-- oldest, or it has none), and a tenant's own instances go first come, first served. So a
-- tenant that queues a thousand instances delays another's first one by at most one turn.
-- Read with operator-wide visibility (the scheduler, and gaon_queue_position below).
CREATE VIEW instance_queue AS
  SELECT i.*,
         row_number() OVER (PARTITION BY i.tenant_id, i.gpu_type_id ORDER BY i.queued_at, i.instance_id) AS turn,
         coalesce(s.served, '-infinity') AS served
  FROM instances i
  LEFT JOIN (SELECT tenant_id, max(created_at) AS served FROM allocations GROUP BY tenant_id) s USING (tenant_id)
  WHERE i.node_id IS NULL AND i.deleted_at IS NULL AND i.deletion_requested_at IS NULL
    AND i.desired_state = 'running' AND i.phase = 'Pending';
GRANT SELECT ON instance_queue TO gaon_app;

-- Where a waiting instance stands in its GPU type's queue: 1 = next; NULL when it is not
-- waiting. It needs to see every tenant's queue, so it switches on operator-wide visibility
-- for its duration (a function's own SET clause cannot name a custom parameter unless a
-- superuser creates it) — and returns a number only, for an instance its caller could
-- already see.
CREATE FUNCTION gaon_queue_position(p_tenant text, p_instance text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  AS $$
DECLARE
  prev text := current_setting('gaon.platform', true);
  pos bigint;
BEGIN
  PERFORM set_config('gaon.platform', 'on', true);
  WITH q AS (SELECT tenant_id, instance_id, gpu_type_id, turn, served, queued_at FROM instance_queue),
  me AS (SELECT * FROM q WHERE tenant_id = p_tenant AND instance_id = p_instance)
  SELECT (SELECT count(*) FROM q WHERE q.gpu_type_id = me.gpu_type_id
            AND (q.turn, q.served, q.queued_at, q.instance_id) < (me.turn, me.served, me.queued_at, me.instance_id)) + 1
    INTO pos FROM me;
  PERFORM set_config('gaon.platform', coalesce(prev, ''), true);
  RETURN pos;
END
$$;

-- ---------------------------------------------------------------- the simulated fleet
-- The sim driver's own state — what a real provider would keep on its side. It lives here so
-- it survives gaond restarts and is shared by every controller replica.
CREATE TABLE sim_nodes (
  node_id    text PRIMARY KEY,
  healthy    boolean NOT NULL DEFAULT true,
  changed_at timestamptz NOT NULL DEFAULT now()
);
SELECT gaon_protect_platform_table('sim_nodes');

CREATE TABLE sim_machines (
  machine_id  text PRIMARY KEY,                  -- the resource id (inst_…): calls are idempotent by it
  node_id     text NOT NULL,
  state       text NOT NULL CONSTRAINT sim_machines_state_check
              CHECK (state IN ('provisioning', 'running', 'stopping', 'stopped', 'starting', 'rebooting', 'failed')),
  ip_address  text NOT NULL,
  busy_until  timestamptz NOT NULL DEFAULT now(),  -- when the transition in progress completes
  failure     text,
  reboots     integer NOT NULL DEFAULT 0,           -- reboot requests carried out (Reboot is idempotent by it)
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_machines_node_idx ON sim_machines (node_id);
SELECT gaon_protect_platform_table('sim_machines');
GRANT DELETE ON sim_machines TO gaon_app;
CREATE SEQUENCE sim_ip_seq;
GRANT USAGE ON SEQUENCE sim_ip_seq TO gaon_app;
