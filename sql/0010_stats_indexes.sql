-- Migration 0010 (issue 10, GET /api/admin/stats at the bench volume): the
-- indexes that turn the stats' full scans of `commandes` into index ranges.
--
-- Runs unchanged on MySQL 8.4 and MariaDB 10.11.
-- - lead time (validation -> shipping): only shipped orders, read from the
--   index alone (was a full table scan);
-- - defect rate: engraved orders counted on an index range (was a full scan);
-- - a bounded period (?start_date=&end_date=): the counts by status, course,
--   atelier and month read the date range of one covering index instead of
--   one row per order.

CREATE INDEX idx_commandes_expedition_validation
  ON commandes (date_expedition, date_validation_sportif);

CREATE INDEX idx_commandes_gravure ON commandes (date_gravure);

CREATE INDEX idx_commandes_date_stats
  ON commandes (date_commande, statut, atelier_id, produit_id);
