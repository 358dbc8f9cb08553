-- gaon_audit_hash was declared IMMUTABLE, but its body calls to_char(), which is only STABLE.
-- PostgreSQL inlines a SQL function only when the body is no more volatile than the
-- declaration, so every audit append ran the function through the SQL-function executor,
-- parsing and planning its body anew each time (about 50 µs of each append). Declared
-- STABLE — which is what it is — the body is inlined into the append and verify statements.
-- The hash itself is unchanged, so existing chains verify as before.
ALTER FUNCTION gaon_audit_hash(text, text, bigint, text, timestamptz, text, text, text, text, text, text, text, text,
                               text, text, text, integer, jsonb) STABLE;
