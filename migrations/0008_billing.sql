-- 0008: billing, first part — currencies, tax rates, prices with effective dates, tenant
-- discounts, and rating in SQL (`numeric` only). See docs/billing.md.

-- ---------------------------------------------------------------- reference data
-- ISO 4217 currencies and their minor units (gaond loads them from core/iso.cpp at start):
-- where money is rounded.
CREATE TABLE currencies (
  code        text PRIMARY KEY CONSTRAINT currencies_code_check CHECK (code ~ '^[A-Z]{3}$'),
  minor_units integer NOT NULL CONSTRAINT currencies_minor_units_check CHECK (minor_units BETWEEN 0 AND 4)
);
SELECT gaon_protect_platform_table('currencies');

-- Tax by the tenant's jurisdiction (the catalog file's billing.tax_rates). A jurisdiction
-- without a row is taxed at 0.
CREATE TABLE tax_rates (
  jurisdiction text PRIMARY KEY CONSTRAINT tax_rates_jurisdiction_check CHECK (jurisdiction ~ '^[A-Z]{2}$'),
  percent      numeric NOT NULL CONSTRAINT tax_rates_percent_check CHECK (percent >= 0 AND percent < 100),
  name         text NOT NULL DEFAULT ''
);
SELECT gaon_protect_platform_table('tax_rates');

-- ---------------------------------------------------------------- prices
-- One row per (SKU, currency, effective_from); a price holds until the next row of its SKU
-- and currency. Rows are never changed or removed: a new price is a new row (the trigger
-- below), so rating any past period gives the same answer forever.
CREATE TABLE prices (
  sku            text NOT NULL,
  currency       text NOT NULL REFERENCES currencies,
  unit           text NOT NULL CONSTRAINT prices_unit_check CHECK (unit IN ('gpu-hour', 'million-tokens')),
  unit_price     numeric NOT NULL CONSTRAINT prices_unit_price_check CHECK (unit_price >= 0),
  effective_from timestamptz NOT NULL,
  description    text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, currency, effective_from)
);
SELECT gaon_protect_platform_table('prices');

CREATE FUNCTION gaon_prices_immutable() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'prices are never changed or removed; add a row with a later effective_from'
    USING ERRCODE = 'GA002';
END
$$;
CREATE TRIGGER prices_immutable BEFORE UPDATE OR DELETE ON prices
  FOR EACH ROW EXECUTE FUNCTION gaon_prices_immutable();

-- Contracted discounts: a percentage per SKU, or for every SKU ('*'); a SKU's own discount
-- wins over the overall one.
CREATE TABLE tenant_discounts (
  tenant_id  text NOT NULL REFERENCES tenants,
  sku        text NOT NULL,
  percent    numeric NOT NULL CONSTRAINT tenant_discounts_percent_check CHECK (percent > 0 AND percent <= 100),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sku)
);
SELECT gaon_protect_tenant_table('tenant_discounts');
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_discounts TO gaon_app;

-- ---------------------------------------------------------------- rating
-- Every charge of a tenant in [p_start, p_end), as of p_now, in its billing currency and
-- unrounded. Usage records are cut at the period's edges and at price changes; a record
-- shorter than 60 s is billed 60 s, the top-up charged where the record started. Open
-- records run until p_now. GPU time is rated per GPU-second: amount = GPUs × seconds × the
-- GPU-hour price ÷ 3600, discounts applied as exact percentages. Token events are rated per
-- token: tokens × the per-million price ÷ 1,000,000. Nothing here rounds (docs/billing.md).
-- Runs with the caller's row-level security: a tenant sees only its own charges.
CREATE FUNCTION gaon_rate(p_tenant text, p_start timestamptz, p_end timestamptz, p_now timestamptz)
  RETURNS TABLE (sku text, unit text, unit_price numeric, discount_percent numeric, resource_kind text,
                 resource_id text, parent_resource_id text, charge_start timestamptz, charge_end timestamptz,
                 quantity numeric, list_amount numeric, amount numeric)
  LANGUAGE sql STABLE
  AS $$
  WITH t AS (SELECT tenant_id, billing_currency FROM tenants WHERE tenant_id = p_tenant),
  rec AS (
    SELECT u.resource_kind, u.resource_id, u.parent_resource_id, u.gpu_count,
           CASE u.resource_kind WHEN 'replica' THEN 'endpoint-replica-hour.' ELSE 'gpu-hour.' END || u.gpu_type_id AS sku,
           u.started_at, least(coalesce(u.ended_at, p_now), p_end) AS stop,
           greatest(0::numeric, 60 - extract(epoch FROM coalesce(u.ended_at, p_now) - u.started_at)) AS topup
    FROM usage_records u
    WHERE u.tenant_id = p_tenant AND u.gpu_count > 0 AND u.started_at < p_end
      AND coalesce(u.ended_at, p_now) >= p_start AND u.started_at <= p_now),
  priced AS (
    SELECT pr.sku, pr.unit, pr.unit_price, pr.effective_from AS from_,
           lead(pr.effective_from, 1, 'infinity') OVER (PARTITION BY pr.sku ORDER BY pr.effective_from) AS to_
    FROM prices pr JOIN t ON pr.currency = t.billing_currency),
  gpu AS (
    SELECT r.sku, p.unit, p.unit_price, r.resource_kind, r.resource_id, r.parent_resource_id,
           greatest(r.started_at, p_start, p.from_) AS cs, least(r.stop, p.to_) AS ce,
           r.gpu_count * (extract(epoch FROM least(r.stop, p.to_) - greatest(r.started_at, p_start, p.from_)) +
             CASE WHEN r.started_at >= p_start AND r.started_at >= p.from_ AND r.started_at < p.to_ THEN r.topup
                  ELSE 0 END) AS gpu_seconds
    FROM rec r JOIN priced p ON p.sku = r.sku AND p.from_ < r.stop AND p.to_ > greatest(r.started_at, p_start)),
  tokp AS (
    SELECT p.sku, p.unit, p.unit_price, e.resource_kind, e.resource_id, NULL::text AS parent_resource_id,
           e.occurred_at, e.quantity
    FROM usage_events e
    JOIN priced p ON p.sku = e.meter || '.' || (e.attributes->>'model') AND p.from_ <= e.occurred_at
                     AND p.to_ > e.occurred_at
    WHERE e.tenant_id = p_tenant AND e.meter IN ('tokens-input', 'tokens-output')
      AND e.occurred_at >= p_start AND e.occurred_at < p_end AND e.occurred_at <= p_now),
  charges AS (
    SELECT g.sku, g.unit, g.unit_price, g.resource_kind, g.resource_id, g.parent_resource_id, g.cs, g.ce,
           g.gpu_seconds / 3600 AS quantity, g.gpu_seconds * g.unit_price / 3600 AS list_amount
    FROM gpu g WHERE g.gpu_seconds > 0
    UNION ALL
    SELECT k.sku, k.unit, k.unit_price, k.resource_kind, k.resource_id, k.parent_resource_id, k.occurred_at,
           k.occurred_at, k.quantity / 1000000, k.quantity * k.unit_price / 1000000
    FROM tokp k)
  SELECT c.sku, c.unit, c.unit_price, coalesce(d.percent, o.percent, 0), c.resource_kind, c.resource_id,
         c.parent_resource_id, c.cs, c.ce, c.quantity, c.list_amount,
         c.list_amount * (100 - coalesce(d.percent, o.percent, 0)) / 100
  FROM charges c
  LEFT JOIN tenant_discounts d ON d.tenant_id = p_tenant AND d.sku = c.sku
  LEFT JOIN tenant_discounts o ON o.tenant_id = p_tenant AND o.sku = '*'
$$;
