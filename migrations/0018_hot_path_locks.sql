-- 0018: no row locks on rows every writer shares.
--
-- A foreign key check locks the parent row FOR KEY SHARE. On the hot inserts that parent is
-- the same row for everyone: every instance created locks its instance type's and image's
-- catalog row and its tenant's row, every usage record opened locks its tenant's row. Two
-- such lockers at once turn the row's lock into a multixact, and every later one creates a
-- new multixact with one member more (WAL, SLRU pages, vacuum work) — for a row nobody ever
-- deletes. The controllers' fence did the same on the lease row, once per controller write.
--
-- Foreign keys whose parents are never deleted go from these inserts; a guard makes "never
-- deleted" a rule the database keeps (a tenant is closed, a catalog entry retired, by its
-- status). Every insert that took these locks names a tenant the request authenticated against
-- and catalog entries the handler validated (api/handlers/instances.cpp), so no row can point at
-- nothing. (quota_usage keeps its key: it inserts once per tenant and dimension, and the
-- updates that follow check nothing.)
ALTER TABLE instances DROP CONSTRAINT instances_tenant_id_fkey,
                      DROP CONSTRAINT instances_instance_type_id_fkey,
                      DROP CONSTRAINT instances_image_id_fkey,
                      DROP CONSTRAINT instances_requested_zone_id_fkey;
ALTER TABLE usage_records DROP CONSTRAINT usage_records_tenant_id_fkey;

CREATE FUNCTION gaon_never_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION '% rows are never deleted (%): instances, usage and audit refer to them', TG_TABLE_NAME, TG_ARGV[0]
    USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER tenants_never_deleted BEFORE DELETE OR TRUNCATE ON tenants FOR EACH STATEMENT
  EXECUTE FUNCTION gaon_never_deleted('a tenant is closed by its status');
CREATE TRIGGER instance_types_never_deleted BEFORE DELETE OR TRUNCATE ON instance_types FOR EACH STATEMENT
  EXECUTE FUNCTION gaon_never_deleted('an instance type is retired by its availability');
CREATE TRIGGER images_never_deleted BEFORE DELETE OR TRUNCATE ON images FOR EACH STATEMENT
  EXECUTE FUNCTION gaon_never_deleted('an image is retired by its status');
CREATE TRIGGER zones_never_deleted BEFORE DELETE OR TRUNCATE ON zones FOR EACH STATEMENT
  EXECUTE FUNCTION gaon_never_deleted('a zone is retired by its status');

-- The fence: a shared advisory lock on the lease instead of a share lock on its row. It lives
-- in the lock manager's memory (no WAL, no multixact), and a takeover's exclusive lock on the
-- same key (leases.lock in storage/leases.cpp) still waits for every fenced write in flight;
-- fences asked for after the takeover queue behind it and then find the new token. The token
-- is read after the lock is granted, in a statement of its own, so it sees a takeover that
-- committed while this transaction waited — under READ COMMITTED, which every controller
-- transaction uses. A REPEATABLE READ transaction would read it in the snapshot it took before
-- waiting, so the fence refuses to run in one.
CREATE FUNCTION gaon_lease_key(p_name text) RETURNS bigint
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT hashtextextended('gaon.lease:' || p_name, 0) $$;

CREATE OR REPLACE FUNCTION gaon_fence(p_name text, p_token bigint) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'gaon_fence needs a READ COMMITTED transaction';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(gaon_lease_key(p_name));
  PERFORM 1 FROM leases WHERE name = p_name AND token = p_token AND expires_at > clock_timestamp();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the % lease (token %) is no longer held', p_name, p_token USING ERRCODE = 'GA001';
  END IF;
END
$$;
