-- 0007: open models and inference endpoints — the model catalog and tenants' custom models,
-- endpoints with their revisions and replicas, usage events (tokens), and the simulated data
-- plane's state. See docs/endpoints.md.

-- ---------------------------------------------------------------- models
-- Where custom model weights may come from (the catalog file's region.object_storage).
ALTER TABLE regions ADD COLUMN object_storage jsonb NOT NULL DEFAULT '[]';

-- The region's catalog of open models (loaded from the catalog file, edited by operators).
CREATE TABLE models (
  model_id             text PRIMARY KEY,
  display_name         text NOT NULL,
  publisher            text NOT NULL DEFAULT '',
  family               text NOT NULL DEFAULT '',
  parameters_millions  bigint NOT NULL CONSTRAINT models_parameters_check CHECK (parameters_millions > 0),
  license              text NOT NULL DEFAULT '',
  languages            text[] NOT NULL DEFAULT '{}',
  context_length       integer NOT NULL DEFAULT 0,
  min_gpu_memory_gib   integer NOT NULL CONSTRAINT models_memory_check CHECK (min_gpu_memory_gib > 0),
  runtimes             text[] NOT NULL,
  default_runtime_args text[] NOT NULL DEFAULT '{}',
  status               text NOT NULL DEFAULT 'available' CONSTRAINT models_status_check CHECK (status IN ('available', 'deprecated')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
SELECT gaon_protect_platform_table('models');

-- A tenant's own models: weights in the region's object storage, within the tenant's
-- jurisdiction (checked when registered).
CREATE TABLE custom_models (
  tenant_id            text NOT NULL REFERENCES tenants,
  model_id             text NOT NULL,
  display_name         text NOT NULL,
  publisher            text NOT NULL DEFAULT '',
  family               text NOT NULL DEFAULT '',
  parameters_millions  bigint NOT NULL CONSTRAINT custom_models_parameters_check CHECK (parameters_millions > 0),
  license              text NOT NULL DEFAULT '',
  languages            text[] NOT NULL DEFAULT '{}',
  context_length       integer NOT NULL DEFAULT 0,
  min_gpu_memory_gib   integer NOT NULL CONSTRAINT custom_models_memory_check CHECK (min_gpu_memory_gib > 0),
  runtimes             text[] NOT NULL,
  default_runtime_args text[] NOT NULL DEFAULT '{}',
  artifact_uri         text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, model_id)
);
CREATE UNIQUE INDEX custom_models_name_key ON custom_models (tenant_id, display_name);
SELECT gaon_protect_tenant_table('custom_models');
GRANT SELECT, INSERT, DELETE ON custom_models TO gaon_app;

-- ---------------------------------------------------------------- endpoints
-- The spec is kept whole (jsonb, as the API wrote it) with the columns the controllers and
-- admission need copied out. Revisions keep every spec the endpoint had.
CREATE TABLE endpoints (
  tenant_id             text NOT NULL REFERENCES tenants,
  endpoint_id           text NOT NULL,
  name                  text NOT NULL,
  labels                jsonb NOT NULL DEFAULT '{}',
  spec                  jsonb NOT NULL,
  generation            bigint NOT NULL DEFAULT 1,
  latest_revision       integer NOT NULL DEFAULT 1,
  -- status
  phase                 text NOT NULL DEFAULT 'Pending',
  observed_generation   bigint NOT NULL DEFAULT 0,
  conditions            jsonb NOT NULL DEFAULT '[]',
  desired_replicas      integer NOT NULL DEFAULT 0,
  ready_replicas        integer NOT NULL DEFAULT 0,
  updated_replicas      integer NOT NULL DEFAULT 0,
  current_revision      integer NOT NULL DEFAULT 0,
  traffic               jsonb NOT NULL DEFAULT '[]',
  failure_reason        text,
  -- the autoscaler's memory: when it last changed its mind, when the endpoint was last asked
  -- for something, and a wake-up asked for while it was scaled to zero
  scaled_at             timestamptz NOT NULL DEFAULT now(),
  last_request_at       timestamptz,
  wake_requested_at     timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  deletion_requested_at timestamptz,
  deleted_at            timestamptz,
  resource_version      bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, endpoint_id)
);
CREATE UNIQUE INDEX endpoints_name_key ON endpoints (tenant_id, name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX endpoints_id_key ON endpoints (endpoint_id);
CREATE INDEX endpoints_live_idx ON endpoints (tenant_id, endpoint_id) WHERE deleted_at IS NULL;
SELECT gaon_protect_tenant_table('endpoints');
GRANT SELECT, INSERT, UPDATE ON endpoints TO gaon_app;

CREATE TABLE endpoint_revisions (
  tenant_id   text NOT NULL,
  endpoint_id text NOT NULL,
  revision    integer NOT NULL,
  generation  bigint NOT NULL,
  spec        jsonb NOT NULL,
  state       text NOT NULL DEFAULT 'Deploying' CONSTRAINT endpoint_revisions_state_check
              CHECK (state IN ('Deploying', 'Active', 'Canary', 'Superseded', 'RolledBack', 'Failed')),
  message     text,
  failures    integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, endpoint_id, revision),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints
);
SELECT gaon_protect_tenant_table('endpoint_revisions');
GRANT SELECT, INSERT, UPDATE ON endpoint_revisions TO gaon_app;

-- One serving copy of a revision. A replica counts against the tenant's gpus quota from the
-- moment its row exists until it is gone (deleted_at), and holds an allocation on its node
-- from placement until then. Rows stay as history once gone.
CREATE TABLE endpoint_replicas (
  tenant_id      text NOT NULL,
  replica_id     text NOT NULL,
  endpoint_id    text NOT NULL,
  revision       integer NOT NULL,
  phase          text NOT NULL DEFAULT 'Pending' CONSTRAINT endpoint_replicas_phase_check
                 CHECK (phase IN ('Pending', 'Scheduled', 'Loading', 'Ready', 'Failed', 'Terminating', 'Terminated')),
  gpu_type_id    text NOT NULL,
  gpu_count      integer NOT NULL,
  vcpus          integer NOT NULL,
  memory_gib     integer NOT NULL,
  requested_zone_id text,
  zone_id        text,
  node_id        text,
  message        text,          -- why it waits, when Pending
  failure_reason text,
  ever_ready     boolean NOT NULL DEFAULT false,
  queued_at      timestamptz NOT NULL DEFAULT now(),
  ready_at       timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz,
  PRIMARY KEY (tenant_id, replica_id),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints
);
CREATE INDEX endpoint_replicas_live_idx ON endpoint_replicas (tenant_id, endpoint_id) WHERE deleted_at IS NULL;
CREATE INDEX endpoint_replicas_queue_idx ON endpoint_replicas (gpu_type_id, queued_at)
  WHERE node_id IS NULL AND deleted_at IS NULL AND phase = 'Pending';
SELECT gaon_protect_tenant_table('endpoint_replicas');
GRANT SELECT, INSERT, UPDATE ON endpoint_replicas TO gaon_app;

-- Replicas waiting for a node, in the order the scheduler serves them: as for instances,
-- tenants take turns per GPU type, the least recently served first.
CREATE VIEW replica_queue AS
  SELECT r.*,
         row_number() OVER (PARTITION BY r.tenant_id, r.gpu_type_id ORDER BY r.queued_at, r.replica_id) AS turn,
         coalesce(s.served, '-infinity') AS served
  FROM endpoint_replicas r
  LEFT JOIN (SELECT tenant_id, max(created_at) AS served FROM allocations GROUP BY tenant_id) s USING (tenant_id)
  WHERE r.node_id IS NULL AND r.deleted_at IS NULL AND r.phase = 'Pending';
GRANT SELECT ON replica_queue TO gaon_app;

-- A tenant with live endpoints cannot be deleted.
CREATE OR REPLACE VIEW tenant_live_resources WITH (security_invoker = true) AS
  SELECT tenant_id, 'instance'::text AS kind, instance_id AS id FROM instances WHERE deleted_at IS NULL
  UNION ALL
  SELECT tenant_id, 'endpoint'::text, endpoint_id FROM endpoints WHERE deleted_at IS NULL;

-- Replica usage names the endpoint it served.
ALTER TABLE usage_records ADD COLUMN parent_resource_id text;

-- ---------------------------------------------------------------- usage events
-- Counted usage from meters (tokens in and out of an endpoint, …), deduplicated by
-- (tenant, source, event id): a repeat of an event is a no-op, never a second count.
CREATE TABLE usage_events (
  tenant_id     text NOT NULL REFERENCES tenants,
  source        text NOT NULL,
  event_id      text NOT NULL,
  meter         text NOT NULL,
  quantity      numeric NOT NULL CONSTRAINT usage_events_quantity_check CHECK (quantity >= 0),
  resource_kind text,
  resource_id   text,
  attributes    jsonb NOT NULL DEFAULT '{}',
  occurred_at   timestamptz NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, source, event_id)
);
CREATE INDEX usage_events_resource_idx ON usage_events (tenant_id, resource_id, occurred_at);
SELECT gaon_protect_tenant_table('usage_events');
GRANT SELECT, INSERT ON usage_events TO gaon_app;

-- ---------------------------------------------------------------- the simulated data plane
CREATE TABLE sim_replicas (
  replica_id  text PRIMARY KEY,
  endpoint_id text NOT NULL,
  revision    integer NOT NULL,
  node_id     text NOT NULL,
  state       text NOT NULL CONSTRAINT sim_replicas_state_check CHECK (state IN ('loading', 'ready', 'failed')),
  ready_at    timestamptz NOT NULL,  -- when loading completes
  fails_at    timestamptz,           -- when it will fail (a failing revision, or a crash)
  failure     text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_replicas_endpoint_idx ON sim_replicas (endpoint_id);
SELECT gaon_protect_platform_table('sim_replicas');
GRANT DELETE ON sim_replicas TO gaon_app;

-- Operator-set traffic per endpoint: what the sim driver reports as load.
CREATE TABLE sim_endpoint_traffic (
  endpoint_id         text PRIMARY KEY,
  concurrency         integer NOT NULL DEFAULT 0 CONSTRAINT sim_traffic_concurrency_check CHECK (concurrency >= 0),
  requests_per_second integer NOT NULL DEFAULT 0 CONSTRAINT sim_traffic_rps_check CHECK (requests_per_second >= 0),
  until               timestamptz,
  failing_revisions   integer[] NOT NULL DEFAULT '{}',
  updated_at          timestamptz NOT NULL DEFAULT now()
);
SELECT gaon_protect_platform_table('sim_endpoint_traffic');
GRANT DELETE ON sim_endpoint_traffic TO gaon_app;
