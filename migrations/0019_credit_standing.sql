-- 0019: a tenant's credit standing as one function that stops early for postpaid tenants.
--
-- Every launch asks whether a prepaid tenant's credit still covers its month so far. The
-- question was one statement that inlined the month's rating (gaon_month_spend →
-- gaon_invoice_lines) and the credit balances: a plan of some forty nodes, and PostgreSQL
-- initialises every node of a plan on each execution, whether a row ever reaches it or not.
-- For a postpaid tenant — most launches — nothing was read, but the statement cost 55–60 µs of
-- backend CPU of a create's ~1.1 ms; now 25 µs (docs/performance.md). plpgsql is never
-- inlined: the mode is read first, and the rating's plan is started only for a prepaid tenant
-- (or when the caller asks for every mode, as the credits page does).
CREATE FUNCTION gaon_credit_standing(p_tenant text, p_all boolean)
  RETURNS TABLE (billing_mode text, currency text, balance text, month_to_date text, covered boolean)
  LANGUAGE plpgsql STABLE
  AS $$
#variable_conflict use_column
BEGIN
  IF NOT p_all AND NOT EXISTS (SELECT FROM tenants t
                               WHERE t.tenant_id = p_tenant AND t.billing_mode = 'prepaid') THEN
    RETURN;
  END IF;
  RETURN QUERY
    WITH t AS (SELECT t.billing_mode, t.billing_currency, c.minor_units, coalesce(x.percent, 0) AS pct
               FROM tenants t JOIN currencies c ON c.code = t.billing_currency
               LEFT JOIN tax_rates x ON x.jurisdiction = t.jurisdiction
               WHERE t.tenant_id = p_tenant AND (p_all OR t.billing_mode = 'prepaid')),
         p AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS s),
         m AS (SELECT gaon_month_spend(p_tenant, p.s, p.s + interval '1 month') AS sub FROM p),
         b AS (SELECT coalesce(sum(remaining), 0) AS balance
               FROM t, gaon_credit_balances(p_tenant, t.billing_currency, now()) WHERE remaining > 0)
    SELECT t.billing_mode, t.billing_currency, trim_scale(b.balance)::text,
           (m.sub + round(m.sub * t.pct / 100, t.minor_units))::text,
           b.balance > m.sub + round(m.sub * t.pct / 100, t.minor_units)
    FROM t, m, b;
END
$$;
