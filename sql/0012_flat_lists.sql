-- Migration 0012 (issue 12): the last list routes that read more than their
-- page. Each index below lets a count or an aggregate read index entries
-- only (never the rows they point to), or a page stop after its rows.
--
-- Runs unchanged on MySQL 8.4 and MariaDB 10.11.

-- The workshop screen (GET /api/fab/commandes). Its per-course counters
-- count the open orders of the atelier (or of all ateliers) by status,
-- course and readiness: with these five columns the count never leaves the
-- index, one entry per open order, grouped in the index's order. A separate
-- index: appended to the list index (atelier, status, date), the columns
-- would break the order by date then id that the list reads.
-- The B2B band reads the oldest open B2B orders of the atelier: one range per
-- status of (B2B, status, atelier, date), each stopped after the band.
ALTER TABLE commandes
  ADD INDEX idx_commandes_fab_counters (statut, atelier_id, produit_id, validation_sportif, is_b2b),
  ADD INDEX idx_commandes_b2b_open (is_b2b, statut, atelier_id, date_commande);

-- Stock lines of one atelier with their levels: the screen's counters and
-- the stock alerts read them from the index alone. It starts with the
-- atelier, so it also serves the foreign key and replaces the plain index.
ALTER TABLE stocks
  ADD INDEX idx_stocks_atelier_levels (atelier_id, produit_id, quantite, seuil_alerte),
  DROP INDEX idx_stocks_atelier;

-- Courses by name (then code, unique): an atelier's stock page walks the
-- courses in that order and stops after the page instead of sorting every
-- line, and the screen's counters walk them with their code, index only.
ALTER TABLE produits
  ADD INDEX idx_produits_nom_code (nom, code);

-- Users of one role that are not anonymised (the admin list, newest first):
-- both conditions in the index, so the capped count reads no row.
ALTER TABLE users
  DROP INDEX idx_users_role,
  ADD INDEX idx_users_role_anonymized (role, anonymized_at);
