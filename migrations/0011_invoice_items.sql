-- 0011: invoice items — the rows behind each invoice line (one per resource, UTC day and GPU
-- count), each rounded so that the items of a line add up to the line to the last unit — and
-- the export rows built on them. See docs/billing.md ("Invoice items and exports").

-- ---------------------------------------------------------------- rating, cut at UTC days
-- As 0008's gaon_rate, and also cut at every UTC midnight, so each row lies within one UTC
-- day; it names the GPU count of the record. The 60-second top-up stays on the piece where
-- the record started. A record of zero length is still rated (its top-up) in the day and
-- price period it started in.
DROP FUNCTION gaon_rate(text, timestamptz, timestamptz, timestamptz);
CREATE FUNCTION gaon_rate(p_tenant text, p_start timestamptz, p_end timestamptz, p_now timestamptz)
  RETURNS TABLE (sku text, unit text, unit_price numeric, discount_percent numeric, resource_kind text,
                 resource_id text, parent_resource_id text, gpu_count integer, charge_start timestamptz,
                 charge_end timestamptz, quantity numeric, list_amount numeric, amount numeric)
  LANGUAGE sql STABLE
  AS $$
  WITH t AS (SELECT tenant_id, billing_currency FROM tenants WHERE tenant_id = p_tenant),
  rec AS (
    SELECT u.resource_kind, u.resource_id, u.parent_resource_id, u.gpu_count, u.started_at,
           CASE u.resource_kind WHEN 'replica' THEN 'endpoint-replica-hour.' ELSE 'gpu-hour.' END || u.gpu_type_id AS sku,
           greatest(u.started_at, p_start) AS lo, least(coalesce(u.ended_at, p_now), p_end) AS stop,
           greatest(0::numeric, 60 - extract(epoch FROM coalesce(u.ended_at, p_now) - u.started_at)) AS topup
    FROM usage_records u
    WHERE u.tenant_id = p_tenant AND u.gpu_count > 0 AND u.started_at < p_end
      AND coalesce(u.ended_at, p_now) >= p_start AND u.started_at <= p_now),
  priced AS (
    SELECT pr.sku, pr.unit, pr.unit_price, pr.effective_from AS from_,
           lead(pr.effective_from, 1, 'infinity') OVER (PARTITION BY pr.sku ORDER BY pr.effective_from) AS to_
    FROM prices pr JOIN t ON pr.currency = t.billing_currency),
  piece AS (  -- a record under one price
    SELECT r.*, p.unit, p.unit_price, greatest(r.lo, p.from_) AS a, least(r.stop, p.to_) AS b
    FROM rec r JOIN priced p ON p.sku = r.sku AND p.to_ > r.lo AND (p.from_ < r.stop OR p.from_ <= r.lo)),
  gpu AS (  -- and within one UTC day
    SELECT x.sku, x.unit, x.unit_price, x.resource_kind, x.resource_id, x.parent_resource_id, x.gpu_count,
           greatest(x.a, d.ds) AS cs, least(x.b, d.ds + interval '24 hours') AS ce,
           x.gpu_count * (extract(epoch FROM least(x.b, d.ds + interval '24 hours') - greatest(x.a, d.ds)) +
             CASE WHEN x.started_at >= p_start AND greatest(x.a, d.ds) = x.started_at THEN x.topup ELSE 0 END)
             AS gpu_seconds
    FROM piece x
    CROSS JOIN LATERAL generate_series(date_trunc('day', x.a, 'UTC'), greatest(x.a, x.b - interval '1 microsecond'),
                                       interval '24 hours') AS d(ds)),
  tokp AS (
    SELECT p.sku, p.unit, p.unit_price, e.resource_kind, e.resource_id, e.occurred_at, e.quantity
    FROM usage_events e
    JOIN priced p ON p.sku = e.meter || '.' || (e.attributes->>'model') AND p.from_ <= e.occurred_at
                     AND p.to_ > e.occurred_at
    WHERE e.tenant_id = p_tenant AND e.meter IN ('tokens-input', 'tokens-output')
      AND e.occurred_at >= p_start AND e.occurred_at < p_end AND e.occurred_at <= p_now),
  charges AS (
    SELECT g.sku, g.unit, g.unit_price, g.resource_kind, g.resource_id, g.parent_resource_id, g.gpu_count, g.cs,
           g.ce, g.gpu_seconds / 3600 AS quantity, g.gpu_seconds * g.unit_price / 3600 AS list_amount
    FROM gpu g WHERE g.gpu_seconds > 0
    UNION ALL
    SELECT k.sku, k.unit, k.unit_price, k.resource_kind, k.resource_id, NULL, NULL, k.occurred_at, k.occurred_at,
           k.quantity / 1000000, k.quantity * k.unit_price / 1000000
    FROM tokp k)
  SELECT c.sku, c.unit, c.unit_price, coalesce(d.percent, o.percent, 0), c.resource_kind, c.resource_id,
         c.parent_resource_id, c.gpu_count, c.cs, c.ce, c.quantity, c.list_amount,
         c.list_amount * (100 - coalesce(d.percent, o.percent, 0)) / 100
  FROM charges c
  LEFT JOIN tenant_discounts d ON d.tenant_id = p_tenant AND d.sku = c.sku
  LEFT JOIN tenant_discounts o ON o.tenant_id = p_tenant AND o.sku = '*'
$$;

-- ---------------------------------------------------------------- corrections
-- 0009's correction lines on their own: for every earlier period (up to a year back) with a
-- live invoice, per SKU, unit price and discount, what re-rating it now gives minus what its
-- live invoices already billed, unrounded.
CREATE FUNCTION gaon_invoice_corrections(p_tenant text, p_start timestamptz, p_now timestamptz)
  RETURNS TABLE (charge_period_start timestamptz, charge_period_end timestamptz, sku text, unit text,
                 unit_price numeric, discount_percent numeric, quantity numeric, list_amount numeric,
                 amount_unrounded numeric)
  LANGUAGE sql STABLE
  AS $$
  SELECT q.period_start, q.period_end, x.sku, x.unit, x.unit_price, x.discount_percent, x.quantity, x.list_amount,
         x.amount_unrounded
  FROM (SELECT DISTINCT i.period_start, i.period_end FROM invoices i
        WHERE i.tenant_id = p_tenant AND i.state <> 'void' AND i.period_start < p_start
          AND i.period_start >= p_start - interval '12 months') q
  CROSS JOIN LATERAL (
    SELECT k.sku, k.unit, k.unit_price, k.discount_percent,
           coalesce(a.q, 0) - coalesce(b.q, 0) AS quantity, coalesce(a.l, 0) - coalesce(b.l, 0) AS list_amount,
           coalesce(a.u, 0) - coalesce(b.u, 0) AS amount_unrounded
    FROM (SELECT r.sku, r.unit, r.unit_price, r.discount_percent FROM gaon_rate(p_tenant, q.period_start, q.period_end, p_now) r
          UNION
          SELECT l.sku, l.unit, l.unit_price, l.discount_percent FROM invoice_lines l JOIN invoices i USING (tenant_id, invoice_id)
          WHERE l.tenant_id = p_tenant AND l.charge_period_start = q.period_start AND i.state <> 'void') k
    LEFT JOIN (SELECT r.sku, r.unit_price, r.discount_percent, sum(r.quantity) AS q, sum(r.list_amount) AS l,
                      sum(r.amount) AS u
               FROM gaon_rate(p_tenant, q.period_start, q.period_end, p_now) r
               GROUP BY r.sku, r.unit_price, r.discount_percent) a
      ON a.sku = k.sku AND a.unit_price = k.unit_price AND a.discount_percent = k.discount_percent
    LEFT JOIN (SELECT l.sku, l.unit_price, l.discount_percent, sum(l.quantity) AS q, sum(l.list_amount) AS l,
                      sum(l.amount_unrounded) AS u
               FROM invoice_lines l JOIN invoices i USING (tenant_id, invoice_id)
               WHERE l.tenant_id = p_tenant AND l.charge_period_start = q.period_start AND i.state <> 'void'
               GROUP BY l.sku, l.unit_price, l.discount_percent) b
      ON b.sku = k.sku AND b.unit_price = k.unit_price AND b.discount_percent = k.discount_percent) x
  WHERE x.amount_unrounded <> 0 OR x.quantity <> 0
$$;

-- ---------------------------------------------------------------- items
-- What an invoice of [p_start, p_end) is made of as of p_now: one item per line key (charge
-- class, line period, SKU, unit price, discount), resource, UTC day and GPU count; a
-- correction is one item covering its original period. Replica hours count for their
-- endpoint. Each item's `amount` is its share of the line's amount — the line's unrounded sum
-- rounded once, half away from zero — given out by largest remainder: every item gets its
-- amount rounded down to the minor unit, and the units left over go one each to the items
-- with the largest remainders (ties: earlier day, then resource). The items of a line
-- therefore add up to the line exactly, and an export adds up to its invoice. Each item also
-- names its resource as it is now (name, zone, labels, model): finalization keeps that
-- snapshot, so an invoice's export never needs to look the resources up again.
CREATE FUNCTION gaon_invoice_items(p_tenant text, p_start timestamptz, p_end timestamptz, p_now timestamptz,
                                   p_minor integer)
  RETURNS TABLE (charge_class text, line_period_start timestamptz, line_period_end timestamptz, sku text,
                 unit text, unit_price numeric, discount_percent numeric, charge_period_start timestamptz,
                 charge_period_end timestamptz, resource_kind text, resource_id text, gpu_count integer,
                 quantity numeric, list_amount numeric, amount_unrounded numeric, amount numeric,
                 resource_name text, zone text, labels jsonb, model text)
  LANGUAGE sql STABLE
  AS $$
  WITH r AS (
    SELECT g.sku, g.unit, g.unit_price, g.discount_percent, g.gpu_count, date_trunc('day', g.charge_start, 'UTC') AS day,
           CASE g.resource_kind WHEN 'replica' THEN 'endpoint' ELSE g.resource_kind END AS rkind,
           CASE g.resource_kind WHEN 'replica' THEN g.parent_resource_id ELSE g.resource_id END AS rid,
           g.quantity, g.list_amount, g.amount
    FROM gaon_rate(p_tenant, p_start, p_end, p_now) g),
  i AS (
    SELECT NULL::text AS cc, p_start AS lps, p_end AS lpe, r.sku, r.unit, r.unit_price, r.discount_percent,
           greatest(r.day, p_start) AS cs, least(r.day + interval '24 hours', p_end) AS ce, r.rkind, r.rid,
           r.gpu_count, sum(r.quantity) AS q, sum(r.list_amount) AS l, sum(r.amount) AS u
    FROM r GROUP BY r.sku, r.unit, r.unit_price, r.discount_percent, r.day, r.rkind, r.rid, r.gpu_count
    UNION ALL
    SELECT 'Correction', c.charge_period_start, c.charge_period_end, c.sku, c.unit, c.unit_price, c.discount_percent,
           c.charge_period_start, c.charge_period_end, NULL, NULL, NULL, c.quantity, c.list_amount, c.amount_unrounded
    FROM gaon_invoice_corrections(p_tenant, p_start, p_now) c),
  f AS (
    SELECT i.*, floor(i.u * 10::numeric ^ p_minor) AS fl,  -- in minor units
           round(sum(i.u) OVER w, p_minor) * 10::numeric ^ p_minor - sum(floor(i.u * 10::numeric ^ p_minor)) OVER w
             AS left_over
    FROM i WINDOW w AS (PARTITION BY i.cc, i.lps, i.sku, i.unit_price, i.discount_percent)),
  a AS (
    SELECT f.*, row_number() OVER (PARTITION BY f.cc, f.lps, f.sku, f.unit_price, f.discount_percent
                                   ORDER BY f.u * 10::numeric ^ p_minor - f.fl DESC, f.cs, f.rkind, f.rid, f.gpu_count)
                  AS rank_
    FROM f)
  SELECT a.cc, a.lps, a.lpe, a.sku, a.unit, a.unit_price, a.discount_percent, a.cs, a.ce, a.rkind, a.rid, a.gpu_count,
         a.q, a.l, a.u, round((a.fl + CASE WHEN a.rank_ <= a.left_over THEN 1 ELSE 0 END) / 10::numeric ^ p_minor, p_minor),
         coalesce(ins.name, ep.name), coalesce(ins.zone_id, ins.requested_zone_id), coalesce(ins.labels, ep.labels),
         CASE WHEN a.sku LIKE 'tokens-%' THEN substr(a.sku, strpos(a.sku, '.') + 1) ELSE ep.spec->>'model' END
  FROM a
  LEFT JOIN instances ins ON a.rkind = 'instance' AND ins.tenant_id = p_tenant AND ins.instance_id = a.rid
  LEFT JOIN endpoints ep ON a.rkind = 'endpoint' AND ep.tenant_id = p_tenant AND ep.endpoint_id = a.rid
$$;

-- The lines: the items grouped (replaces 0009's function; same columns).
CREATE OR REPLACE FUNCTION gaon_invoice_lines(p_tenant text, p_start timestamptz, p_end timestamptz,
                                              p_now timestamptz, p_minor integer)
  RETURNS TABLE (charge_class text, charge_period_start timestamptz, charge_period_end timestamptz, sku text,
                 unit text, quantity numeric, unit_price numeric, discount_percent numeric, list_amount numeric,
                 amount_unrounded numeric, amount numeric)
  LANGUAGE sql STABLE
  AS $$
  SELECT i.charge_class, i.line_period_start, i.line_period_end, i.sku, i.unit, sum(i.quantity), i.unit_price,
         i.discount_percent, sum(i.list_amount), sum(i.amount_unrounded), sum(i.amount)
  FROM gaon_invoice_items(p_tenant, p_start, p_end, p_now, p_minor) i
  GROUP BY i.charge_class, i.line_period_start, i.line_period_end, i.sku, i.unit, i.unit_price, i.discount_percent
$$;

-- ---------------------------------------------------------------- stored items
-- The line's key is repeated in each item (charge class, SKU, unit, price, discount) so that
-- an export reads items alone, in primary-key order.
CREATE TABLE invoice_items (
  tenant_id           text NOT NULL,
  invoice_id          text NOT NULL,
  line_no             integer NOT NULL,
  item_no             integer NOT NULL,
  charge_class        text,
  sku                 text NOT NULL,
  unit                text NOT NULL,
  unit_price          numeric NOT NULL,
  discount_percent    numeric NOT NULL,
  charge_period_start timestamptz NOT NULL,
  charge_period_end   timestamptz NOT NULL,
  resource_kind       text,
  resource_id         text,
  gpu_count           integer,
  quantity            numeric NOT NULL,
  list_amount         numeric NOT NULL,
  amount_unrounded    numeric NOT NULL,
  amount              numeric NOT NULL,
  resource_name       text,
  zone                text,
  labels              jsonb,
  model               text,
  PRIMARY KEY (tenant_id, invoice_id, line_no, item_no),
  FOREIGN KEY (tenant_id, invoice_id, line_no) REFERENCES invoice_lines
);
SELECT gaon_protect_tenant_table('invoice_items');
GRANT SELECT, INSERT ON invoice_items TO gaon_app;
CREATE TRIGGER invoice_items_guard BEFORE UPDATE OR DELETE ON invoice_items
  FOR EACH ROW EXECUTE FUNCTION gaon_invoice_lines_guard();

-- ---------------------------------------------------------------- export rows
-- Who issues the region's invoices (the catalog file's billing.issuer).
ALTER TABLE regions ADD COLUMN invoice_issuer text NOT NULL DEFAULT 'Gaon';

-- Every charge row of the billing period [p_start, p_end) of every tenant the caller may see
-- (row-level security: one tenant, or all for the platform), in the tenant's billing currency,
-- ordered by tenant, then line and item (tax, then credits, last):
-- - a tenant whose period has a live invoice gets that invoice's stored items, its tax and the
--   credits it burnt — exactly the invoice, whatever has happened since;
-- - any other tenant gets the items its draft would have as of p_now, and the draft's tax.
-- Usage rows' billed amounts add up to the subtotal, with the tax row to the total, with the
-- credit rows to the amount due. Tenants are visited in order, each by a nested loop (LATERAL)
-- that reads its invoice's items by primary key, so a closed month streams without a sort.
-- Exports (storage/exports.cpp) only format these rows.
-- The draft's rows of one tenant for gaon_export_rows: its items as of p_now, ordered as
-- finalization would number them, and the tax on their sum. PL/pgSQL on purpose: an SQL
-- function would be inlined into every tenant's step of the export, and the planner's copy
-- of the whole rating tree, re-initialized per tenant even when never run, costs seconds on
-- a closed month.
CREATE FUNCTION gaon_export_draft_rows(p_tenant text, p_start timestamptz, p_end timestamptz, p_now timestamptz,
                                       p_minor integer, p_tax_percent numeric, p_jurisdiction text)
  RETURNS TABLE (category text, charge_class text, charge_period_start timestamptz, charge_period_end timestamptz,
                 sku text, unit text, quantity numeric, unit_price numeric, discount_percent numeric,
                 list_cost numeric, contracted_cost numeric, billed_cost numeric, resource_kind text,
                 resource_id text, gpu_count integer, resource_name text, zone text, labels jsonb, model text,
                 description text)
  LANGUAGE plpgsql STABLE
  AS $$
BEGIN
  RETURN QUERY
  WITH d AS MATERIALIZED (SELECT * FROM gaon_invoice_items(p_tenant, p_start, p_end, p_now, p_minor))
  (SELECT 'Usage'::text, d.charge_class, d.charge_period_start, d.charge_period_end, d.sku, d.unit, d.quantity,
          d.unit_price, d.discount_percent, d.list_amount, d.amount_unrounded, d.amount, d.resource_kind,
          d.resource_id, d.gpu_count, d.resource_name, d.zone, d.labels, d.model, NULL::text
   FROM d
   ORDER BY d.charge_class NULLS FIRST, d.line_period_start, d.sku, d.unit_price, d.discount_percent,
            d.charge_period_start, d.resource_kind, d.resource_id, d.gpu_count)
  UNION ALL
  SELECT 'Tax', NULL, p_start, p_end, NULL, NULL, NULL, NULL, NULL, s.tax, s.tax, s.tax, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, 'Tax ' || p_jurisdiction || ' ' || trim_scale(p_tax_percent) || '%'
  FROM (SELECT round(sum(d.amount) * p_tax_percent / 100, p_minor) AS tax FROM d) s
  WHERE EXISTS (SELECT 1 FROM d);
END
$$;

CREATE FUNCTION gaon_export_rows(p_start timestamptz, p_end timestamptz, p_now timestamptz)
  RETURNS TABLE (tenant_id text, tenant_name text, currency text, invoice_number text, category text,
                 charge_class text, charge_period_start timestamptz, charge_period_end timestamptz, sku text,
                 unit text, quantity numeric, unit_price numeric, discount_percent numeric, list_cost numeric,
                 contracted_cost numeric, billed_cost numeric, resource_kind text, resource_id text,
                 gpu_count integer, resource_name text, zone text, labels jsonb, model text, description text,
                 region_id text, region_name text, issuer text)
  LANGUAGE sql STABLE
  AS $$
  SELECT ten.tenant_id, ten.display_name, ten.billing_currency, ten.number, r.category, r.charge_class,
         r.charge_period_start, r.charge_period_end, r.sku, r.unit, r.quantity, r.unit_price, r.discount_percent,
         r.list_cost, r.contracted_cost, r.billed_cost, r.resource_kind, r.resource_id, r.gpu_count, r.resource_name,
         r.zone, r.labels, r.model, r.description, ten.region_id, ten.region_name, ten.issuer
  FROM (
    SELECT t.tenant_id, t.display_name, t.billing_currency, c.minor_units, coalesce(x.percent, 0) AS tax_percent,
           t.jurisdiction, inv.invoice_id, inv.number, inv.tax, g.region_id, g.display_name AS region_name,
           coalesce(g.invoice_issuer, 'Gaon') AS issuer
    FROM tenants t
    JOIN currencies c ON c.code = t.billing_currency
    LEFT JOIN tax_rates x ON x.jurisdiction = t.jurisdiction
    LEFT JOIN invoices inv ON inv.tenant_id = t.tenant_id AND inv.period_start = p_start AND inv.state <> 'void'
                              AND inv.currency = t.billing_currency
    LEFT JOIN (SELECT * FROM regions ORDER BY region_id LIMIT 1) g ON true
    ORDER BY t.tenant_id) ten
  CROSS JOIN LATERAL (
    -- an invoiced period: its items, in primary-key order
    (SELECT 'Usage' AS category, it.charge_class, it.charge_period_start, it.charge_period_end, it.sku, it.unit,
            it.quantity, it.unit_price, it.discount_percent, it.list_amount AS list_cost,
            it.amount_unrounded AS contracted_cost, it.amount AS billed_cost, it.resource_kind, it.resource_id,
            it.gpu_count, it.resource_name, it.zone, it.labels, it.model, NULL::text AS description
     FROM invoice_items it
     WHERE it.tenant_id = ten.tenant_id AND it.invoice_id = ten.invoice_id
     ORDER BY it.line_no, it.item_no)
    UNION ALL
    -- its tax, when it has lines
    SELECT 'Tax', NULL, p_start, p_end, NULL, NULL, NULL, NULL, NULL, ten.tax, ten.tax, ten.tax, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, 'Tax ' || ten.jurisdiction || ' ' || trim_scale(ten.tax_percent) || '%'
    WHERE ten.invoice_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM invoice_lines l WHERE l.tenant_id = ten.tenant_id AND l.invoice_id = ten.invoice_id)
    UNION ALL
    -- the credits it burnt
    (SELECT 'Credit', NULL, p_start, p_end, NULL, NULL, NULL, NULL, NULL, -a.amount, -a.amount, -a.amount, 'credit',
            a.grant_id, NULL, NULL, NULL, NULL, NULL,
            CASE g.kind WHEN 'prepaid' THEN 'Prepaid credit' ELSE 'Promotional credit' END
              || CASE WHEN g.description <> '' THEN ': ' || g.description ELSE '' END
     FROM credit_applications a JOIN credit_grants g ON g.tenant_id = a.tenant_id AND g.grant_id = a.grant_id
     WHERE a.tenant_id = ten.tenant_id AND a.invoice_id = ten.invoice_id
     ORDER BY a.grant_id)
    UNION ALL
    -- a period not invoiced: the draft's items and tax, as of p_now
    SELECT * FROM gaon_export_draft_rows(ten.tenant_id, p_start, p_end, p_now, ten.minor_units, ten.tax_percent,
                                         ten.jurisdiction)
    WHERE ten.invoice_id IS NULL
  ) r
$$;
