-- Migration 0008 (issue 10, operations): the record of cron runs that
-- `mk-admin doctor` and GET /api/admin/doctor read ("last cron run").
--
-- Runs unchanged on MySQL 8.4 and MariaDB 10.11. One row per run of
-- `mk-admin cron hourly`; the retention task keeps 1 year of them.
-- Runtime settings live in app_config (0001), backups in backups (0001),
-- report history in rapports_generation (0001): nothing to add there.

CREATE TABLE cron_runs (
  id           INT AUTO_INCREMENT PRIMARY KEY,
  planning     VARCHAR(20) NOT NULL DEFAULT 'hourly',
  debut        DATETIME NOT NULL,
  fin          DATETIME NOT NULL,
  taches_ok    INT NOT NULL DEFAULT 0,
  taches_echec INT NOT NULL DEFAULT 0,
  resume       TEXT NULL,
  KEY idx_cron_runs_debut (debut)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
