-- 0009: finalized invoices — immutable once written (enforced here, for every role), numbered
-- without gaps per region and month, one per (tenant, period, currency) unless voided, with
-- corrections for usage that arrived after a period was invoiced. See docs/billing.md.

CREATE TABLE invoice_counters (
  prefix      text NOT NULL,  -- "KR1-202611"
  last_number bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (prefix)
);
SELECT gaon_protect_platform_table('invoice_counters');

CREATE TABLE invoices (
  tenant_id           text NOT NULL REFERENCES tenants,
  invoice_id          text NOT NULL,
  number              text NOT NULL,
  period_start        timestamptz NOT NULL,
  period_end          timestamptz NOT NULL,
  currency            text NOT NULL REFERENCES currencies,
  state               text NOT NULL DEFAULT 'finalized'
                      CONSTRAINT invoices_state_check CHECK (state IN ('finalized', 'paid', 'void')),
  subtotal            numeric NOT NULL,
  tax_percent         numeric NOT NULL,
  tax                 numeric NOT NULL,
  total               numeric NOT NULL,
  finalized_at        timestamptz NOT NULL DEFAULT now(),
  paid_at             timestamptz,
  voided_at           timestamptz,
  void_reason         text,
  replaces_invoice_id text,  -- the voided invoice this one re-issues
  PRIMARY KEY (tenant_id, invoice_id)
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (number);
-- One live invoice per tenant, period and currency: two finalizations racing give one.
CREATE UNIQUE INDEX invoices_period_key ON invoices (tenant_id, period_start, currency) WHERE state <> 'void';
SELECT gaon_protect_tenant_table('invoices');
GRANT SELECT, INSERT, UPDATE ON invoices TO gaon_app;

CREATE TABLE invoice_lines (
  tenant_id           text NOT NULL,
  invoice_id          text NOT NULL,
  line_no             integer NOT NULL,
  charge_class        text CONSTRAINT invoice_lines_class_check CHECK (charge_class IS NULL OR charge_class = 'Correction'),
  charge_period_start timestamptz NOT NULL,
  charge_period_end   timestamptz NOT NULL,
  sku                 text NOT NULL,
  unit                text NOT NULL,
  quantity            numeric NOT NULL,
  unit_price          numeric NOT NULL,
  discount_percent    numeric NOT NULL,
  list_amount         numeric NOT NULL,
  amount_unrounded    numeric NOT NULL,
  amount              numeric NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id, line_no),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices
);
CREATE INDEX invoice_lines_charge_period_idx ON invoice_lines (tenant_id, charge_period_start);
SELECT gaon_protect_tenant_table('invoice_lines');
GRANT SELECT, INSERT ON invoice_lines TO gaon_app;

-- An issued invoice never changes: only its state moves on (finalized → paid, finalized or
-- paid → void, with the time and reason); its lines never change at all. Not even the schema
-- owner gets around these triggers without dropping them.
CREATE FUNCTION gaon_invoice_guard() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'invoice % is issued and cannot be deleted', OLD.number USING ERRCODE = 'GA003';
  END IF;
  IF (NEW.tenant_id, NEW.invoice_id, NEW.number, NEW.period_start, NEW.period_end, NEW.currency, NEW.subtotal,
      NEW.tax_percent, NEW.tax, NEW.total, NEW.finalized_at, NEW.replaces_invoice_id)
     IS DISTINCT FROM
     (OLD.tenant_id, OLD.invoice_id, OLD.number, OLD.period_start, OLD.period_end, OLD.currency, OLD.subtotal,
      OLD.tax_percent, OLD.tax, OLD.total, OLD.finalized_at, OLD.replaces_invoice_id) THEN
    RAISE EXCEPTION 'invoice % is issued: its contents never change', OLD.number USING ERRCODE = 'GA003';
  END IF;
  IF NOT ((OLD.state = 'finalized' AND NEW.state IN ('finalized', 'paid', 'void')) OR
          (OLD.state = 'paid' AND NEW.state IN ('paid', 'void')) OR (OLD.state = 'void' AND NEW.state = 'void')) THEN
    RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.number, OLD.state, NEW.state USING ERRCODE = 'GA003';
  END IF;
  IF OLD.state = 'void' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'invoice % is void', OLD.number USING ERRCODE = 'GA003';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER invoices_guard BEFORE UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION gaon_invoice_guard();

CREATE FUNCTION gaon_invoice_lines_guard() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'invoice lines never change' USING ERRCODE = 'GA003';
END
$$;
CREATE TRIGGER invoice_lines_guard BEFORE UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION gaon_invoice_lines_guard();

-- The lines an invoice of [p_start, p_end) gets as of p_now: the period's charges, one line per
-- SKU, unit price and discount, rounded once each; and a correction line wherever re-rating an
-- earlier invoiced period (up to a year back) now gives a different unrounded amount than
-- what its invoices already billed (usage that arrived late, a record that ended after its
-- period was closed). Corrections are computed against every live invoice line charged to
-- that period, earlier corrections included, so nothing is ever billed twice.
CREATE FUNCTION gaon_invoice_lines(p_tenant text, p_start timestamptz, p_end timestamptz, p_now timestamptz,
                                   p_minor integer)
  RETURNS TABLE (charge_class text, charge_period_start timestamptz, charge_period_end timestamptz, sku text,
                 unit text, quantity numeric, unit_price numeric, discount_percent numeric, list_amount numeric,
                 amount_unrounded numeric, amount numeric)
  LANGUAGE sql STABLE
  AS $$
  SELECT NULL::text, p_start, p_end, r.sku, r.unit, sum(r.quantity), r.unit_price, r.discount_percent,
         sum(r.list_amount), sum(r.amount), round(sum(r.amount), p_minor)
  FROM gaon_rate(p_tenant, p_start, p_end, p_now) r
  GROUP BY r.sku, r.unit, r.unit_price, r.discount_percent
  UNION ALL
  SELECT 'Correction', q.period_start, q.period_end, x.sku, x.unit, x.quantity, x.unit_price, x.discount_percent,
         x.list_amount, x.amount_unrounded, round(x.amount_unrounded, p_minor)
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
