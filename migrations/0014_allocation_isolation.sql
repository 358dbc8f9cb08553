-- Allocations name a tenant and its instance or replica: tenant data, so they are isolated
-- like every other tenant-owned row. Migration 0006 protected the table as platform
-- infrastructure, whose rows every transaction may read; a tenant transaction could then
-- see where every other tenant's workloads run. Now only the owning tenant and
-- operator-wide transactions (the scheduler, node views) read a row; writes stay
-- operator-wide only.
DROP POLICY platform_read ON allocations;
CREATE POLICY tenant_read ON allocations FOR SELECT USING (gaon_row_visible(tenant_id));

-- instances_unsettled_idx (0006) is the same index as instances_live_idx (0003): same
-- columns, same predicate. Every instance write paid for both.
DROP INDEX instances_unsettled_idx;
