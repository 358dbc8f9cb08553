-- 0002: tenancy and access — tenants, users, memberships, API keys, sessions, the
-- hash-chained audit log, idempotency keys and login throttling. See docs/security.md.
--
-- Row-level-security inputs besides gaon.tenant_id and gaon.platform (0001), all set with
-- SET LOCAL semantics (set_config(..., true)) by the application:
--   gaon.principal        the authenticated caller (usr_… or key_…); set by the
--                          authentication query itself, only for a row it returns
--   gaon.auth_credential  the credential being authenticated (key_… or ses_…): makes exactly
--                          that one key or session row visible before any tenant is known
--   gaon.auth_email       lower(email) of a login attempt: makes that one user visible

CREATE FUNCTION gaon_setting(name text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting(name, true), '') $$;

CREATE FUNCTION gaon_principal() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT gaon_setting('gaon.principal') $$;

-- ---------------------------------------------------------------- tenants
CREATE TABLE tenants (
  tenant_id        text PRIMARY KEY,
  name             text NOT NULL,
  display_name     text NOT NULL,
  jurisdiction     text NOT NULL CONSTRAINT tenants_jurisdiction_check CHECK (jurisdiction ~ '^[A-Z]{2}$'),
  billing_currency text NOT NULL CONSTRAINT tenants_currency_check CHECK (billing_currency ~ '^[A-Z]{3}$'),
  billing_email    text NOT NULL,
  status           text NOT NULL DEFAULT 'active'
                   CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleted')),
  labels           jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz,
  resource_version bigint NOT NULL DEFAULT 1
);
-- Names are unique among tenants that are not deleted (a deleted tenant's name can be reused).
CREATE UNIQUE INDEX tenants_name_key ON tenants (name) WHERE status <> 'deleted';
SELECT gaon_protect_tenant_table('tenants');
GRANT SELECT, INSERT, UPDATE ON tenants TO gaon_app;

-- What keeps a tenant from being deleted: one row per live resource. Later migrations that add
-- resource kinds (instances, endpoints, …) redefine this view to include them.
CREATE VIEW tenant_live_resources WITH (security_invoker = true) AS
  SELECT NULL::text AS tenant_id, NULL::text AS kind, NULL::text AS id WHERE false;
GRANT SELECT ON tenant_live_resources TO gaon_app;

-- ---------------------------------------------------------------- users and memberships
-- Users are global identities (a user can belong to several tenants), not tenant-owned rows;
-- row-level security still limits who sees which user.
CREATE TABLE users (
  user_id             text PRIMARY KEY,
  email               text NOT NULL,
  display_name        text NOT NULL DEFAULT '',
  password_hash       text NOT NULL,
  status              text NOT NULL DEFAULT 'active'
                      CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled')),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  resource_version    bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
  tenant_id        text NOT NULL REFERENCES tenants,
  user_id          text NOT NULL REFERENCES users,
  role             text NOT NULL CONSTRAINT memberships_role_check
                   CHECK (role IN ('tenant-admin', 'tenant-member', 'tenant-viewer', 'billing-viewer')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  resource_version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
SELECT gaon_protect_tenant_table('memberships');
-- A user sees their own memberships in every tenant (GET /v1/me).
CREATE POLICY memberships_own ON memberships FOR SELECT USING (user_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO gaon_app;

-- A user also sees the tenants they belong to.
CREATE POLICY tenants_member ON tenants FOR SELECT
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = tenants.tenant_id AND m.user_id = gaon_principal()));

-- ---------------------------------------------------------------- sessions
CREATE TABLE sessions (
  session_id     text PRIMARY KEY,
  user_id        text NOT NULL REFERENCES users,
  secret_hash    text NOT NULL,  -- sha256 of the cookie secret; the secret itself is never stored
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  source_address text NOT NULL DEFAULT '',
  user_agent     text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_visible ON sessions
  USING (gaon_platform() OR session_id = gaon_setting('gaon.auth_credential') OR user_id = gaon_principal())
  WITH CHECK (gaon_platform() OR user_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE ON sessions TO gaon_app;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_select ON users FOR SELECT USING (
  gaon_platform()
  OR user_id = gaon_principal()
  OR lower(email) = gaon_setting('gaon.auth_email')
  OR EXISTS (SELECT 1 FROM sessions s
             WHERE s.session_id = gaon_setting('gaon.auth_credential') AND s.user_id = users.user_id)
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.user_id AND m.tenant_id = gaon_tenant()));
-- Creating a user reveals nothing (tenant admins add members by email); the unique email
-- index keeps one account per address.
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (true);
-- Only the user themselves (password change) or an operator changes a user.
CREATE POLICY users_update ON users FOR UPDATE
  USING (gaon_platform() OR user_id = gaon_principal())
  WITH CHECK (gaon_platform() OR user_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE ON users TO gaon_app;

-- ---------------------------------------------------------------- API keys
-- Service keys belong to a tenant; operator keys to the platform (a table of their own, so
-- every tenant-owned table keeps tenant_id first in its primary key).
CREATE TABLE api_keys (
  tenant_id        text NOT NULL REFERENCES tenants,
  key_id           text NOT NULL,
  name             text NOT NULL,
  role             text NOT NULL CONSTRAINT api_keys_role_check
                   CHECK (role IN ('tenant-admin', 'tenant-member', 'tenant-viewer', 'billing-viewer')),
  secret_hash      text NOT NULL,  -- sha256 of the secret
  expires_at       timestamptz,
  last_used_at     timestamptz,
  revoked_at       timestamptz,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  resource_version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX api_keys_key_id_key ON api_keys (key_id);
SELECT gaon_protect_tenant_table('api_keys');
CREATE POLICY api_keys_authenticating ON api_keys FOR SELECT
  USING (key_id = gaon_setting('gaon.auth_credential'));
CREATE POLICY api_keys_touch ON api_keys FOR UPDATE
  USING (key_id = gaon_principal()) WITH CHECK (key_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE ON api_keys TO gaon_app;

CREATE TABLE platform_api_keys (
  key_id           text PRIMARY KEY,
  name             text NOT NULL,
  secret_hash      text NOT NULL,
  expires_at       timestamptz,
  last_used_at     timestamptz,
  revoked_at       timestamptz,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  resource_version bigint NOT NULL DEFAULT 1
);
ALTER TABLE platform_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_api_keys_visible ON platform_api_keys
  USING (gaon_platform() OR key_id = gaon_setting('gaon.auth_credential') OR key_id = gaon_principal())
  WITH CHECK (gaon_platform() OR key_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE ON platform_api_keys TO gaon_app;

-- ---------------------------------------------------------------- audit log
-- Append-only and hash-chained per tenant ('platform' is the chain of platform-level events).
-- The application may only SELECT and INSERT; each insert advances the chain head under a
-- row lock, so a chain is gap-free and totally ordered.
CREATE TABLE audit_events (
  tenant_id       text NOT NULL,
  seq             bigint NOT NULL,
  event_id        text NOT NULL,
  at              timestamptz NOT NULL,
  principal_type  text NOT NULL,
  principal_id    text NOT NULL,
  principal_name  text NOT NULL,
  operator_reason text,
  action          text NOT NULL,
  resource_type   text NOT NULL,
  resource_id     text NOT NULL,
  request_id      text NOT NULL,
  source_address  text NOT NULL,
  user_agent      text NOT NULL,
  outcome         text NOT NULL CONSTRAINT audit_events_outcome_check CHECK (outcome IN ('success', 'failure', 'denied')),
  status          integer NOT NULL,
  changes         jsonb,
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at);
SELECT gaon_protect_tenant_table('audit_events');
GRANT SELECT, INSERT ON audit_events TO gaon_app;

CREATE TABLE audit_chain_heads (
  tenant_id text PRIMARY KEY,
  seq       bigint NOT NULL,
  hash      text NOT NULL
);
SELECT gaon_protect_tenant_table('audit_chain_heads');
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO gaon_app;
INSERT INTO audit_chain_heads VALUES ('platform', 0, '');

-- The hash of one event: SHA-256 over the previous hash and every field, separated by the
-- unit separator (U+001F) so no field can bleed into its neighbour.
CREATE FUNCTION gaon_audit_hash(prev_hash text, tenant_id text, seq bigint, event_id text, at timestamptz,
                                principal_type text, principal_id text, principal_name text,
                                operator_reason text, action text, resource_type text, resource_id text,
                                request_id text, source_address text, user_agent text, outcome text,
                                status integer, changes jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    prev_hash, tenant_id, seq::text, event_id,
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    principal_type, principal_id, principal_name, coalesce(operator_reason, ''), action,
    resource_type, resource_id, request_id, source_address, user_agent, outcome, status::text,
    coalesce(changes::text, 'null')), 'UTF8')), 'hex')
  $$;

-- ---------------------------------------------------------------- idempotency keys
-- Per principal; kept for at least 24 hours. The response is stored with secrets removed.
CREATE TABLE idempotency_keys (
  principal_id    text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash    text NOT NULL,
  method          text NOT NULL,
  path            text NOT NULL,
  status          integer,
  response_body   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (principal_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_own ON idempotency_keys
  USING (gaon_platform() OR principal_id = gaon_principal())
  WITH CHECK (gaon_platform() OR principal_id = gaon_principal());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO gaon_app;

-- ---------------------------------------------------------------- login throttling
-- Failed logins per subject ('email:<sha256 of the address>' or 'addr:<ip>'). No tenant data.
CREATE TABLE login_throttle (
  subject         text PRIMARY KEY,
  failures        integer NOT NULL,
  last_failure_at timestamptz NOT NULL,
  blocked_until   timestamptz
);
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO gaon_app;
