-- Migration 0011 (issue 12): every list reads its page through an index whose
-- columns are the list's equality filters followed by its sort columns, so a
-- page costs the same at 1,000 and at 1,000,000 rows (InnoDB appends the
-- primary key to every secondary index, which makes `..., id` orders total).
-- An index made redundant by a longer one with the same prefix is dropped in
-- the same statement (a foreign key always keeps an index on its column).
--
-- Runs unchanged on MySQL 8.4 and MariaDB 10.11.

-- Orders: the workshop's list (atelier + status, newest or oldest first), the
-- dispatch queue (no atelier + attente_gravure, oldest first), by status, by
-- course, by B2B manufacturer, an athlete's own.
ALTER TABLE commandes
  DROP INDEX idx_commandes_atelier_statut,
  ADD INDEX idx_commandes_atelier_statut_date (atelier_id, statut, date_commande),
  ADD INDEX idx_commandes_atelier_date (atelier_id, date_commande),
  DROP INDEX idx_commandes_statut,
  ADD INDEX idx_commandes_statut_date (statut, date_commande),
  DROP INDEX idx_commandes_produit,
  ADD INDEX idx_commandes_produit_date (produit_id, date_commande),
  DROP INDEX idx_commandes_fabricant,
  ADD INDEX idx_commandes_fabricant_date (b2b_fabricant_id, date_commande),
  DROP INDEX idx_commandes_user,
  ADD INDEX idx_commandes_user_date (user_id, date_commande);

-- Chronos: an athlete's history (all, or one status), newest first; the
-- athlete's validated times on a course, best first; the moderation queue by
-- source or course, oldest first.
ALTER TABLE chronos
  ADD INDEX idx_chronos_user_created (user_id, created_at),
  ADD INDEX idx_chronos_user_statut_created (user_id, statut, created_at),
  DROP INDEX idx_chronos_user_produit_statut,
  ADD INDEX idx_chronos_user_produit_statut_duree (user_id, produit_id, statut, duree_secondes),
  ADD INDEX idx_chronos_statut_source_created (statut, source, created_at),
  ADD INDEX idx_chronos_statut_produit_created (statut, produit_id, created_at);

-- Lots of one atelier, newest first.
ALTER TABLE lots
  ADD INDEX idx_lots_atelier (atelier_id);

-- The stock journal, newest first: whole, of one stock line, or of one
-- atelier. A movement keeps a copy of its stock line's atelier (a line never
-- changes atelier), so an operator's journal is one index range.
ALTER TABLE stock_mouvements
  ADD COLUMN atelier_id INT NULL AFTER stock_id,
  ADD INDEX idx_stock_mouvements_created (created_at),
  ADD INDEX idx_stock_mouvements_atelier_created (atelier_id, created_at);
UPDATE stock_mouvements m JOIN stocks s ON s.id = m.stock_id SET m.atelier_id = s.atelier_id;

-- SAV tickets and defects, newest first.
ALTER TABLE sav_tickets
  ADD INDEX idx_sav_tickets_created (created_at);
ALTER TABLE defauts
  ADD INDEX idx_defauts_created (created_at),
  ADD INDEX idx_defauts_atelier_statut_created (atelier_id, statut, created_at);

-- Courses by name: the active ones (of one category).
ALTER TABLE produits
  DROP INDEX idx_produits_actif,
  ADD INDEX idx_produits_actif_nom (actif, nom),
  ADD INDEX idx_produits_actif_categorie_nom (actif, categorie, nom);

-- A user's notifications, unread first, newest first within each: the
-- order mixes directions, so the index does too (MariaDB 10.8+, MySQL 8).
ALTER TABLE notifications
  DROP INDEX idx_notifications_user_lu,
  ADD INDEX idx_notifications_user_unread_first (user_id, lu, created_at DESC, id DESC);
