-- 0013: budgets — a monthly amount per tenant with alert thresholds — and the alerts the
-- billing pass raised, one per budget, month and threshold (so each fires once a month).
-- See docs/billing.md ("Budgets").

CREATE TABLE budgets (
  tenant_id   text NOT NULL REFERENCES tenants,
  budget_id   text NOT NULL,
  name        text NOT NULL,
  amount      numeric NOT NULL CONSTRAINT budgets_amount_check CHECK (amount > 0),
  thresholds  integer[] NOT NULL DEFAULT '{50,80,100}'
              CONSTRAINT budgets_thresholds_check CHECK (cardinality(thresholds) BETWEEN 1 AND 10
                                                         AND 1 <= ALL (thresholds) AND 1000 >= ALL (thresholds)),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, budget_id)
);
CREATE UNIQUE INDEX budgets_name_key ON budgets (tenant_id, name);
SELECT gaon_protect_tenant_table('budgets');
GRANT SELECT, INSERT, UPDATE, DELETE ON budgets TO gaon_app;

CREATE TABLE budget_alerts (
  tenant_id    text NOT NULL,
  budget_id    text NOT NULL,
  period_start timestamptz NOT NULL,
  threshold    integer NOT NULL,
  amount       numeric NOT NULL,  -- the budget when it fired
  spend        numeric NOT NULL,  -- the month's cost so far when it fired
  fired_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, budget_id, period_start, threshold),
  FOREIGN KEY (tenant_id, budget_id) REFERENCES budgets ON DELETE CASCADE
);
SELECT gaon_protect_tenant_table('budget_alerts');
GRANT SELECT, INSERT, DELETE ON budget_alerts TO gaon_app;

-- What a tenant's invoice of [p_start, p_end) would bill so far, before tax and credits: the
-- sum of the draft's rounded lines. Budgets compare it with their amount; prepaid tenants'
-- credit must cover it (with tax).
CREATE FUNCTION gaon_month_spend(p_tenant text, p_start timestamptz, p_end timestamptz) RETURNS numeric
  LANGUAGE sql STABLE
  AS $$
  SELECT coalesce(sum(l.amount), 0)
  FROM tenants t JOIN currencies c ON c.code = t.billing_currency,
       gaon_invoice_lines(t.tenant_id, p_start, p_end, now(), c.minor_units) l
  WHERE t.tenant_id = p_tenant
$$;
