-- The fence took FOR SHARE on the lease row, which conflicts with the lock any UPDATE takes —
-- the holder's own renewal too. PostgreSQL lets new share lockers join a row's lockers while a
-- conflicting writer waits, so under a steady stream of controller writes (several workers,
-- each transaction holding the fence until it commits) the renewal could wait until the lease
-- ran out: the bench saw the leader lose its own lease 16 s into a 10,000-instance backlog,
-- and every reconcile fail with lease_lost until it took the lease again under a new token.
--
-- The fence now takes FOR KEY SHARE, which only a lock of the whole row (FOR UPDATE, or an
-- UPDATE of the primary key) conflicts with. A renewal updates expires_at only (FOR NO KEY
-- UPDATE) and goes through at once; a takeover first locks the row FOR UPDATE
-- (storage/leases.cpp), so it still waits for every fenced write in flight, as before.
CREATE OR REPLACE FUNCTION gaon_fence(p_name text, p_token bigint) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM leases WHERE name = p_name AND token = p_token AND expires_at > clock_timestamp() FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the % lease (token %) is no longer held', p_name, p_token USING ERRCODE = 'GA001';
  END IF;
END
$$;
