-- 0003: the region and its catalog, the fleet's nodes, SSH keys, quotas and quota requests,
-- GPU instances with their events, and the per-tenant change feed behind watch and the
-- controllers. See docs/instances.md.

-- ---------------------------------------------------------------- region and catalog
-- Global, read by every tenant; written only from the catalog file at start (platform access).
CREATE TABLE regions (
  region_id    text PRIMARY KEY,
  display_name text NOT NULL,
  jurisdiction text NOT NULL CONSTRAINT regions_jurisdiction_check CHECK (jurisdiction ~ '^[A-Z]{2}$'),
  time_zone    text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE zones (
  zone_id      text PRIMARY KEY,
  region_id    text NOT NULL REFERENCES regions,
  display_name text NOT NULL,
  status       text NOT NULL DEFAULT 'available' CONSTRAINT zones_status_check CHECK (status IN ('available', 'unavailable')),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gpu_types (
  gpu_type_id   text PRIMARY KEY,
  display_name  text NOT NULL,
  vendor        text NOT NULL,
  architecture  text NOT NULL,
  memory_gib    integer NOT NULL CONSTRAINT gpu_types_memory_check CHECK (memory_gib > 0),
  interconnect  text NOT NULL,
  mig_profiles  text[] NOT NULL DEFAULT '{}',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instance_types (
  instance_type_id text PRIMARY KEY,
  display_name     text NOT NULL,
  gpu_type_id      text NOT NULL REFERENCES gpu_types,
  gpu_count        integer NOT NULL CONSTRAINT instance_types_gpus_check CHECK (gpu_count > 0),
  vcpus            integer NOT NULL CONSTRAINT instance_types_vcpus_check CHECK (vcpus > 0),
  memory_gib       integer NOT NULL CONSTRAINT instance_types_memory_check CHECK (memory_gib > 0),
  local_nvme_gib   integer NOT NULL DEFAULT 0,
  network_gbps     integer NOT NULL DEFAULT 0,
  available        boolean NOT NULL DEFAULT true,  -- operators can withdraw a type from sale
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE images (
  image_id       text PRIMARY KEY,
  display_name   text NOT NULL,
  os             text NOT NULL,
  os_version     text NOT NULL,
  cuda_version   text NOT NULL,
  driver_version text NOT NULL,
  gpu_types      text[] NOT NULL DEFAULT '{}',  -- empty: every GPU type
  status         text NOT NULL DEFAULT 'available' CONSTRAINT images_status_check CHECK (status IN ('available', 'deprecated')),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every transaction may read the catalog; only operator-wide ones (loading the catalog file,
-- operators' edits) may write it.
CREATE FUNCTION gaon_protect_platform_table(tbl regclass) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY %I ON %s FOR SELECT USING (true)', 'platform_read', tbl);
  EXECUTE format('CREATE POLICY %I ON %s FOR ALL USING (gaon_platform()) WITH CHECK (gaon_platform())',
                 'platform_write', tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %s TO gaon_app', tbl);
END
$$;
SELECT gaon_protect_platform_table(t) FROM unnest(ARRAY['regions', 'zones', 'gpu_types', 'instance_types', 'images']::regclass[]) t;

-- ---------------------------------------------------------------- fleet
-- GPU hosts. Infrastructure, not tenant data: every transaction may read capacity (to say what
-- could be placed now); only operator-wide transactions (controllers) may change it.
-- allocated_* are kept in step with the allocations table by the scheduler, in one
-- transaction, under the node's row lock, so capacity is never double-booked.
CREATE TABLE nodes (
  node_id              text PRIMARY KEY,
  zone_id              text NOT NULL REFERENCES zones,
  gpu_type_id          text NOT NULL REFERENCES gpu_types,
  gpu_count            integer NOT NULL CONSTRAINT nodes_gpus_check CHECK (gpu_count >= 0),
  vcpus                integer NOT NULL,
  memory_gib           integer NOT NULL,
  state                text NOT NULL DEFAULT 'Ready' CONSTRAINT nodes_state_check CHECK (state IN ('Ready', 'Cordoned', 'Down')),
  allocated_gpus       integer NOT NULL DEFAULT 0,
  allocated_vcpus      integer NOT NULL DEFAULT 0,
  allocated_memory_gib integer NOT NULL DEFAULT 0,
  labels               jsonb NOT NULL DEFAULT '{}',
  heartbeat_at         timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  resource_version     bigint NOT NULL DEFAULT 1,
  CONSTRAINT nodes_capacity_check CHECK (allocated_gpus BETWEEN 0 AND gpu_count AND allocated_vcpus BETWEEN 0 AND vcpus
                                         AND allocated_memory_gib BETWEEN 0 AND memory_gib)
);
CREATE INDEX nodes_placement_idx ON nodes (gpu_type_id, zone_id) WHERE state = 'Ready';
SELECT gaon_protect_platform_table('nodes');

-- ---------------------------------------------------------------- SSH keys
CREATE TABLE ssh_keys (
  tenant_id        text NOT NULL REFERENCES tenants,
  ssh_key_id       text NOT NULL,
  name             text NOT NULL,
  key_type         text NOT NULL,
  public_key       text NOT NULL,
  fingerprint      text NOT NULL,  -- "SHA256:" + base64 of the key blob's SHA-256, as ssh-keygen -l prints it
  bits             integer NOT NULL,
  comment          text NOT NULL DEFAULT '',
  labels           jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  resource_version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, ssh_key_id)
);
CREATE UNIQUE INDEX ssh_keys_fingerprint_key ON ssh_keys (tenant_id, fingerprint);
CREATE UNIQUE INDEX ssh_keys_name_key ON ssh_keys (tenant_id, name);
SELECT gaon_protect_tenant_table('ssh_keys');
GRANT SELECT, INSERT, DELETE ON ssh_keys TO gaon_app;

-- ---------------------------------------------------------------- quotas
-- One row per tenant and dimension: instances, gpus, gpus.<gpu type>, vcpus, memory_gib,
-- endpoints. Admission locks the tenant's rows (FOR UPDATE), so admissions of one tenant are
-- serialised and the check and the insert cannot be raced.
CREATE TABLE quotas (
  tenant_id        text NOT NULL REFERENCES tenants,
  dimension        text NOT NULL CONSTRAINT quotas_dimension_check
                   CHECK (dimension IN ('instances', 'gpus', 'vcpus', 'memory_gib', 'endpoints') OR dimension ~ '^gpus\.[a-z0-9][a-z0-9-]*$'),
  limit_value      bigint NOT NULL CONSTRAINT quotas_limit_check CHECK (limit_value >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, dimension)
);
SELECT gaon_protect_tenant_table('quotas');
GRANT SELECT, INSERT, UPDATE, DELETE ON quotas TO gaon_app;
INSERT INTO quotas (tenant_id, dimension, limit_value)
  SELECT t.tenant_id, d.dimension, d.limit_value FROM tenants t
  CROSS JOIN (VALUES ('instances', 20), ('gpus', 16), ('vcpus', 512), ('memory_gib', 4096), ('endpoints', 5)) d(dimension, limit_value)
  WHERE t.status <> 'deleted';

-- What live resources use, per tenant and dimension. Changed only in the transaction that
-- admits a resource (under the quota lock) or turns it into a tombstone, so it always equals
-- the sum over live resources (a test checks exactly that).
CREATE TABLE quota_usage (
  tenant_id text NOT NULL REFERENCES tenants,
  dimension text NOT NULL,
  used      bigint NOT NULL DEFAULT 0 CONSTRAINT quota_usage_used_check CHECK (used >= 0),
  PRIMARY KEY (tenant_id, dimension)
);
SELECT gaon_protect_tenant_table('quota_usage');
GRANT SELECT, INSERT, UPDATE ON quota_usage TO gaon_app;

CREATE TABLE quota_requests (
  tenant_id        text NOT NULL REFERENCES tenants,
  request_id       text NOT NULL,
  dimension        text NOT NULL,
  requested_limit  bigint NOT NULL CONSTRAINT quota_requests_limit_check CHECK (requested_limit >= 0),
  reason           text NOT NULL,
  state            text NOT NULL DEFAULT 'pending'
                   CONSTRAINT quota_requests_state_check CHECK (state IN ('pending', 'approved', 'denied', 'cancelled')),
  previous_limit   bigint,
  approved_limit   bigint,
  decision_note    text,
  requested_by     text NOT NULL,
  decided_by       text,
  decided_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  resource_version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX quota_requests_pending_idx ON quota_requests (created_at) WHERE state = 'pending';
SELECT gaon_protect_tenant_table('quota_requests');
GRANT SELECT, INSERT, UPDATE ON quota_requests TO gaon_app;

-- ---------------------------------------------------------------- instances
-- spec (what the tenant asked for) is written by the API and bumps generation; status (phase,
-- conditions, placement) belongs to the controllers. A deleted instance stays as a tombstone
-- (deleted_at set) for billing and audit; names are unique among the live ones.
CREATE TABLE instances (
  tenant_id             text NOT NULL REFERENCES tenants,
  instance_id           text NOT NULL,
  name                  text NOT NULL,
  instance_type_id      text NOT NULL REFERENCES instance_types,
  image_id              text NOT NULL REFERENCES images,
  requested_zone_id     text REFERENCES zones,
  ssh_key_ids           text[] NOT NULL DEFAULT '{}',
  user_data             text NOT NULL DEFAULT '',
  labels                jsonb NOT NULL DEFAULT '{}',
  desired_state         text NOT NULL DEFAULT 'running' CONSTRAINT instances_desired_state_check CHECK (desired_state IN ('running', 'stopped')),
  reboot_requests       integer NOT NULL DEFAULT 0,
  generation            bigint NOT NULL DEFAULT 1,
  -- quota footprint, copied from the instance type at admission so catalog edits never change
  -- what a live instance counts for
  gpu_type_id           text NOT NULL,
  gpu_count             integer NOT NULL,
  vcpus                 integer NOT NULL,
  memory_gib            integer NOT NULL,
  -- status
  phase                 text NOT NULL DEFAULT 'Pending',
  observed_generation   bigint NOT NULL DEFAULT 0,
  conditions            jsonb NOT NULL DEFAULT '[]',
  zone_id               text,
  node_id               text,
  ip_address            text,
  status_extra          jsonb NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  deletion_requested_at timestamptz,
  deleted_at            timestamptz,
  resource_version      bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, instance_id)
);
CREATE UNIQUE INDEX instances_name_key ON instances (tenant_id, name) WHERE deleted_at IS NULL;
CREATE INDEX instances_live_idx ON instances (tenant_id, instance_id) WHERE deleted_at IS NULL;
SELECT gaon_protect_tenant_table('instances');
GRANT SELECT, INSERT, UPDATE ON instances TO gaon_app;

-- An instance's history: state transitions and their reasons, written by the API (requests)
-- and the controllers (what happened).
CREATE TABLE instance_events (
  tenant_id   text NOT NULL,
  instance_id text NOT NULL,
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  at          timestamptz NOT NULL DEFAULT now(),
  type        text NOT NULL CONSTRAINT instance_events_type_check CHECK (type IN ('Normal', 'Warning')),
  reason      text NOT NULL,
  message     text NOT NULL,
  from_phase  text,
  to_phase    text,
  PRIMARY KEY (tenant_id, instance_id, seq)
);
SELECT gaon_protect_tenant_table('instance_events');
GRANT SELECT, INSERT ON instance_events TO gaon_app;

-- ---------------------------------------------------------------- change feed
-- Every write to a tenant's resources appends one change in the same transaction. The
-- per-tenant sequence comes from tenant_change_heads under a row lock held until commit, so
-- within a tenant the sequence order is the commit order: a watcher that has seen change N
-- has seen every change before it. pg_notify wakes watchers and controllers at commit.
CREATE TABLE tenant_change_heads (
  tenant_id text PRIMARY KEY,
  seq       bigint NOT NULL
);
SELECT gaon_protect_tenant_table('tenant_change_heads');
GRANT SELECT, INSERT, UPDATE ON tenant_change_heads TO gaon_app;
INSERT INTO tenant_change_heads SELECT tenant_id, 0 FROM tenants ON CONFLICT DO NOTHING;

CREATE TABLE changes (
  tenant_id        text NOT NULL,
  seq              bigint NOT NULL,
  at               timestamptz NOT NULL DEFAULT now(),
  kind             text NOT NULL,     -- instance, endpoint, …
  resource_id      text NOT NULL,
  change_type      text NOT NULL CONSTRAINT changes_type_check CHECK (change_type IN ('ADDED', 'MODIFIED', 'DELETED')),
  resource_version bigint NOT NULL,
  object           jsonb NOT NULL,    -- the resource as the API shows it after the change
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX changes_at_idx ON changes (at);
SELECT gaon_protect_tenant_table('changes');
GRANT SELECT, INSERT, DELETE ON changes TO gaon_app;

-- ---------------------------------------------------------------- tenant deletion
CREATE OR REPLACE VIEW tenant_live_resources WITH (security_invoker = true) AS
  SELECT tenant_id, 'instance'::text AS kind, instance_id AS id FROM instances WHERE deleted_at IS NULL;
