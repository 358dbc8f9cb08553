-- 0010: credits — prepaid and promotional grants with expiry, burnt at invoicing in a
-- documented order — and prepaid tenants. See docs/billing.md.

ALTER TABLE tenants ADD COLUMN billing_mode text NOT NULL DEFAULT 'postpaid'
  CONSTRAINT tenants_billing_mode_check CHECK (billing_mode IN ('postpaid', 'prepaid'));

CREATE TABLE credit_grants (
  tenant_id   text NOT NULL REFERENCES tenants,
  grant_id    text NOT NULL,
  kind        text NOT NULL CONSTRAINT credit_grants_kind_check CHECK (kind IN ('prepaid', 'promotional')),
  currency    text NOT NULL REFERENCES currencies,
  amount      numeric NOT NULL CONSTRAINT credit_grants_amount_check CHECK (amount > 0),
  expires_at  timestamptz,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, grant_id)
);
SELECT gaon_protect_tenant_table('credit_grants');
GRANT SELECT, INSERT ON credit_grants TO gaon_app;

-- What each invoice took from each grant. Written with the invoice, never changed.
CREATE TABLE credit_applications (
  tenant_id  text NOT NULL,
  grant_id   text NOT NULL,
  invoice_id text NOT NULL,
  amount     numeric NOT NULL CONSTRAINT credit_applications_amount_check CHECK (amount > 0),
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, grant_id, invoice_id),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES credit_grants,
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices
);
SELECT gaon_protect_tenant_table('credit_applications');
GRANT SELECT, INSERT ON credit_applications TO gaon_app;
CREATE TRIGGER credit_applications_guard BEFORE UPDATE OR DELETE ON credit_applications
  FOR EACH ROW EXECUTE FUNCTION gaon_invoice_lines_guard();

ALTER TABLE invoices ADD COLUMN credits_applied numeric NOT NULL DEFAULT 0,
                     ADD COLUMN amount_due numeric;
UPDATE invoices SET amount_due = total WHERE amount_due IS NULL;

-- The guard of 0009, now covering the credit columns too.
CREATE OR REPLACE FUNCTION gaon_invoice_guard() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'invoice % is issued and cannot be deleted', OLD.number USING ERRCODE = 'GA003';
  END IF;
  IF (NEW.tenant_id, NEW.invoice_id, NEW.number, NEW.period_start, NEW.period_end, NEW.currency, NEW.subtotal,
      NEW.tax_percent, NEW.tax, NEW.total, NEW.finalized_at, NEW.replaces_invoice_id, NEW.credits_applied,
      NEW.amount_due)
     IS DISTINCT FROM
     (OLD.tenant_id, OLD.invoice_id, OLD.number, OLD.period_start, OLD.period_end, OLD.currency, OLD.subtotal,
      OLD.tax_percent, OLD.tax, OLD.total, OLD.finalized_at, OLD.replaces_invoice_id, OLD.credits_applied,
      OLD.amount_due) THEN
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

-- What is left of each grant of a tenant that can still be spent at `p_at`, in the burn order:
-- promotional before prepaid (they expire and are never refunded), then the soonest expiry
-- (none last), then the oldest grant. Applications of void invoices are given back.
CREATE FUNCTION gaon_credit_balances(p_tenant text, p_currency text, p_at timestamptz)
  RETURNS TABLE (grant_id text, kind text, remaining numeric, burn_order bigint)
  LANGUAGE sql STABLE
  AS $$
  SELECT g.grant_id, g.kind,
         g.amount - coalesce((SELECT sum(a.amount) FROM credit_applications a JOIN invoices i USING (tenant_id, invoice_id)
                              WHERE a.tenant_id = g.tenant_id AND a.grant_id = g.grant_id AND i.state <> 'void'), 0),
         row_number() OVER (ORDER BY g.kind = 'prepaid', g.expires_at NULLS LAST, g.created_at, g.grant_id)
  FROM credit_grants g
  WHERE g.tenant_id = p_tenant AND g.currency = p_currency AND (g.expires_at IS NULL OR g.expires_at > p_at)
$$;
