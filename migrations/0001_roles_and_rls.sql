-- 0001: the owner/application role split and the row-level-security helpers every
-- tenant-owned table uses. See docs/security.md.
--
-- Roles. The schema owner (the role running migrations) owns every table. The application
-- logs in as a member of gaon_app, which owns nothing: FORCE ROW LEVEL SECURITY therefore
-- binds it, and it can only do what each table grants it explicitly.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gaon_app') THEN
    CREATE ROLE gaon_app NOLOGIN;
  END IF;
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO gaon_app;
-- /readyz reads which migrations are applied.
GRANT SELECT ON schema_migrations TO gaon_app;

-- The tenant a transaction acts for: set by the application with SET LOCAL (set_config(...,
-- true)) at the start of every tenant-scoped transaction. NULL when unset.
CREATE FUNCTION gaon_tenant() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('gaon.tenant_id', true), '') $$;

-- True inside the explicit, audited operator path (SET LOCAL gaon.platform = 'on').
CREATE FUNCTION gaon_platform() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce(current_setting('gaon.platform', true), '') = 'on' $$;

-- The row filter of every tenant-owned table.
CREATE FUNCTION gaon_row_visible(row_tenant text) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT row_tenant = gaon_tenant() OR gaon_platform() $$;

-- gaon_protect_tenant_table('instances'): enables and forces row-level security with the
-- standard tenant policy. Every migration that creates a tenant-owned table calls it.
CREATE FUNCTION gaon_protect_tenant_table(tbl regclass) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY %I ON %s USING (gaon_row_visible(tenant_id)) '
                 'WITH CHECK (gaon_row_visible(tenant_id))', 'tenant_isolation', tbl);
END
$$;
