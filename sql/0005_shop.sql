-- 0005_shop: the PrestaShop pipeline (issue 8) — order import, status push
-- outbox, sign-in by link, dispatch to ateliers, B2B quantities in the DXF.
-- Forward only; runs on MariaDB 10.11 and MySQL 8.4.

-- commandes: one MyKollector order per PrestaShop order row and medal. A
-- PrestaShop order may hold several rows (several courses), so the old
-- one-order-per-PrestaShop-order key goes; the new unique key is what makes
-- two concurrent imports unable to create the same order twice (hand-made
-- orders leave the three columns NULL, which a unique key never compares).
ALTER TABLE commandes
  DROP INDEX uk_commandes_presta_order,
  ADD COLUMN presta_order_row_id INT NULL AFTER presta_order_id,
  ADD COLUMN presta_exemplaire INT NULL AFTER presta_order_row_id,
  ADD KEY idx_commandes_presta_order (presta_order_id),
  ADD UNIQUE KEY uk_commandes_presta_row (presta_order_id, presta_order_row_id, presta_exemplaire);

-- produits.atelier_defaut_id: the atelier that engraves this course's athlete
-- orders when there are several ateliers (dispatch rule, issue 8 item 4).
ALTER TABLE produits
  ADD COLUMN atelier_defaut_id INT NULL,
  ADD KEY idx_produits_atelier_defaut (atelier_defaut_id),
  ADD CONSTRAINT fk_produits_atelier_defaut_id FOREIGN KEY (atelier_defaut_id) REFERENCES ateliers (id) ON DELETE SET NULL;

-- commande_fichier_gravure: a B2B order of N medals has N placements on the
-- plate, numbered 1..N (exemplaire).
ALTER TABLE commande_fichier_gravure
  ADD COLUMN exemplaire INT NOT NULL DEFAULT 1 AFTER commande_id,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (fichier_id, commande_id, exemplaire);

-- prestashop_push: the status-push outbox. One row per call to make: the
-- "en gravure" or "expédié" order history (state id resolved when sent and
-- recorded in id_order_state), or the tracking number on the carrier row;
-- cle makes a second enqueue of the same push a no-op (INSERT IGNORE).
-- Tried after the commit of the change that enqueued it, then by the hourly
-- cron with a growing delay until envoye_at is set.
CREATE TABLE prestashop_push (
  id                 INT AUTO_INCREMENT PRIMARY KEY,
  cle                VARCHAR(191) NOT NULL,
  commande_id        INT NULL,
  presta_order_id    INT NOT NULL,
  type               ENUM('gravure','expedition','suivi') NOT NULL,
  id_order_state     INT NULL,
  tracking           VARCHAR(100) NULL,
  tentatives         INT NOT NULL DEFAULT 0,
  derniere_erreur    TEXT NULL,
  prochain_essai_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  envoye_at          DATETIME NULL,
  created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_prestashop_push_cle (cle),
  KEY idx_prestashop_push_due (envoye_at, prochain_essai_at),
  KEY idx_prestashop_push_commande (commande_id),
  CONSTRAINT fk_prestashop_push_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- signin_tokens: one-time athlete sign-in links (spec 7.5 made safe). The
-- account may not exist yet (it is created when the link is used), so the
-- row carries the address and the shop customer id instead of a user id.
-- Stored as SHA-256 hex, 15 minutes, single use.
CREATE TABLE signin_tokens (
  id                  INT AUTO_INCREMENT PRIMARY KEY,
  email               VARCHAR(255) NOT NULL,
  presta_customer_id  INT NULL,
  nom                 VARCHAR(100) NULL,
  prenom              VARCHAR(100) NULL,
  token_hash          CHAR(64) NOT NULL,
  expires_at          DATETIME NOT NULL,
  used_at             DATETIME NULL,
  ip                  VARCHAR(45) NULL,
  created_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_signin_tokens_token_hash (token_hash),
  KEY idx_signin_tokens_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
