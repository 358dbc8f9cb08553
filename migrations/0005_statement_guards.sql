-- 0005: raising from inside a statement, and admission without plpgsql. Statements queued to travel with COMMIT
-- (storage/internal/pq.h, ExecLater) have no caller reading their rows, so an invariant they
-- rely on — a tenant's change head, an audit chain head — must fail the statement itself:
--   SELECT coalesce((SELECT seq FROM ins), gaon_fail('no change head for ' || $1))
-- (coalesce evaluates its second argument only when the first is NULL.)
CREATE FUNCTION gaon_fail(p_message text) RETURNS bigint
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION '%', p_message USING ERRCODE = 'XX000';
END
$$;

-- Admission became one plain statement (storage/quotas.cpp, kAdmit): the usage rows
-- themselves are the lock. gaon_admit is no longer called.
DROP FUNCTION gaon_admit(text, text[], bigint[]);
