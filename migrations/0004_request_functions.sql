-- 0004: the statements every request runs, as functions, so they can travel in the same round
-- trip as BEGIN (a simple-protocol batch cannot carry bind parameters, but a function call with
-- literal arguments is cheap to parse, and plpgsql keeps its plans per connection).
-- They run with the caller's rights: row-level security applies exactly as before.

-- Authenticates an API key: the key (either table), its secret hash, and the state of the
-- transaction's tenant. Needs gaon.auth_credential = the key id; sets gaon.principal when the
-- key exists.
CREATE FUNCTION gaon_authenticate_key(p_key_id text)
  RETURNS TABLE (key_id text, tenant_id text, name text, role text, expires_at timestamptz,
                 last_used_at timestamptz, revoked_at timestamptz, created_by text, created_at timestamptz,
                 resource_version bigint, secret_hash text, tenant_status text, tenant_jurisdiction text)
  LANGUAGE plpgsql
  AS $$
BEGIN
  RETURN QUERY
    SELECT k.key_id, k.tenant_id, k.name, k.role, k.expires_at, k.last_used_at, k.revoked_at, k.created_by,
           k.created_at, k.resource_version, k.secret_hash, t.status, t.jurisdiction
    FROM (SELECT a.key_id, a.tenant_id, a.name, a.role, a.expires_at, a.last_used_at, a.revoked_at, a.created_by,
                 a.created_at, a.resource_version, a.secret_hash
          FROM api_keys a WHERE a.key_id = p_key_id
          UNION ALL
          SELECT p.key_id, NULL, p.name, 'platform-admin', p.expires_at, p.last_used_at, p.revoked_at, p.created_by,
                 p.created_at, p.resource_version, p.secret_hash
          FROM platform_api_keys p WHERE p.key_id = p_key_id) k
    LEFT JOIN tenants t ON t.tenant_id = gaon_tenant();
  IF FOUND THEN
    PERFORM set_config('gaon.principal', p_key_id, true);
  END IF;
END
$$;

-- Authenticates a console session: the session, its user, the user's role in the
-- transaction's tenant and that tenant's state. Needs gaon.auth_credential = the session id;
-- sets gaon.principal to the user when the session exists.
CREATE FUNCTION gaon_authenticate_session(p_session_id text)
  RETURNS TABLE (session_id text, secret_hash text, expires_at timestamptz, last_seen_at timestamptz, revoked boolean,
                 user_id text, email text, display_name text, user_status text, user_created_at timestamptz,
                 user_updated_at timestamptz, user_resource_version bigint, member_role text, tenant_status text,
                 tenant_jurisdiction text)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_user text;
BEGIN
  SELECT s.user_id INTO v_user FROM sessions s WHERE s.session_id = p_session_id;
  IF v_user IS NULL THEN
    RETURN;
  END IF;
  PERFORM set_config('gaon.principal', v_user, true);
  RETURN QUERY
    SELECT s.session_id, s.secret_hash, s.expires_at, s.last_seen_at, s.revoked_at IS NOT NULL, u.user_id, u.email,
           u.display_name, u.status, u.created_at, u.updated_at, u.resource_version,
           (SELECT m.role FROM memberships m WHERE m.user_id = u.user_id AND m.tenant_id = gaon_tenant()),
           t.status, t.jurisdiction
    FROM sessions s JOIN users u ON u.user_id = s.user_id
    LEFT JOIN tenants t ON t.tenant_id = gaon_tenant()
    WHERE s.session_id = p_session_id;
END
$$;

-- Exact admission: locks the tenant's quota rows, checks every dimension of the request
-- against its limit, and adds the usage — or reports the first dimension that would go over.
CREATE FUNCTION gaon_admit(p_tenant text, p_dimensions text[], p_amounts bigint[])
  RETURNS TABLE (admitted boolean, dimension text, limit_value bigint, used bigint, requested bigint)
  LANGUAGE plpgsql
  AS $$
DECLARE
  r record;
BEGIN
  PERFORM 1 FROM quotas q WHERE q.tenant_id = p_tenant FOR UPDATE;
  FOR r IN
    SELECT d.dim, d.amount, q.limit_value AS lim, coalesce(u.used, 0) AS in_use
    FROM unnest(p_dimensions, p_amounts) WITH ORDINALITY AS d(dim, amount, ord)
    LEFT JOIN quotas q ON q.tenant_id = p_tenant AND q.dimension = d.dim
    LEFT JOIN quota_usage u ON u.tenant_id = p_tenant AND u.dimension = d.dim
    ORDER BY d.ord
  LOOP
    IF r.lim IS NOT NULL AND r.in_use + r.amount > r.lim THEN
      RETURN QUERY SELECT false, r.dim, r.lim, r.in_use, r.amount;
      RETURN;
    END IF;
  END LOOP;
  INSERT INTO quota_usage AS qu (tenant_id, dimension, used)
    SELECT p_tenant, d.dim, d.amount FROM unnest(p_dimensions, p_amounts) AS d(dim, amount)
    ON CONFLICT ON CONSTRAINT quota_usage_pkey DO UPDATE SET used = qu.used + excluded.used;
  RETURN QUERY SELECT true, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint;
END
$$;

-- Every gaond caches recent authentications (api/auth_cache.h). Whatever changes what such an
-- entry depends on — the API, the admin CLI or an operator's psql — announces it on channel
-- gaon_auth, delivered to the listeners when the change commits. The payload names the subject:
-- key:<id>, session:<id>, user:<id> (status, password, a membership) or tenant:<id>.
CREATE FUNCTION gaon_auth_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM pg_notify('gaon_auth', TG_ARGV[0] || ':' || (to_jsonb(coalesce(NEW, OLD)) ->> TG_ARGV[1]));
  RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_auth_update AFTER UPDATE ON api_keys FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.role IS DISTINCT FROM NEW.role OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash)
  EXECUTE FUNCTION gaon_auth_changed('key', 'key_id');
CREATE TRIGGER api_keys_auth_delete AFTER DELETE ON api_keys FOR EACH ROW
  EXECUTE FUNCTION gaon_auth_changed('key', 'key_id');
CREATE TRIGGER platform_api_keys_auth_update AFTER UPDATE ON platform_api_keys FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash)
  EXECUTE FUNCTION gaon_auth_changed('key', 'key_id');
CREATE TRIGGER platform_api_keys_auth_delete AFTER DELETE ON platform_api_keys FOR EACH ROW
  EXECUTE FUNCTION gaon_auth_changed('key', 'key_id');
CREATE TRIGGER sessions_auth_update AFTER UPDATE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION gaon_auth_changed('session', 'session_id');
CREATE TRIGGER sessions_auth_delete AFTER DELETE ON sessions FOR EACH ROW
  EXECUTE FUNCTION gaon_auth_changed('session', 'session_id');
CREATE TRIGGER users_auth_update AFTER UPDATE ON users FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
        OR OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION gaon_auth_changed('user', 'user_id');
CREATE TRIGGER memberships_auth_insert_delete AFTER INSERT OR DELETE ON memberships FOR EACH ROW
  EXECUTE FUNCTION gaon_auth_changed('user', 'user_id');
CREATE TRIGGER memberships_auth_update AFTER UPDATE ON memberships FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role)
  EXECUTE FUNCTION gaon_auth_changed('user', 'user_id');
CREATE TRIGGER tenants_auth_update AFTER UPDATE ON tenants FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.jurisdiction IS DISTINCT FROM NEW.jurisdiction)
  EXECUTE FUNCTION gaon_auth_changed('tenant', 'tenant_id');
