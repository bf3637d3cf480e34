-- MyKollector schema, migration 0001: every table of the product.
--
-- Runs unchanged on MySQL 8.4 (production) and MariaDB 10.11 (tests).
-- The migrator splits this file on a semicolon followed by a newline, so no
-- string or comment in this file may contain that sequence. No DELIMITER,
-- triggers or stored procedures. Forward-only: never edit once applied,
-- add a new numbered file instead.
--
-- Naming: unique keys uk_<table>_<cols>, foreign keys fk_<table>_<column>,
-- plain indexes idx_<table>_<cols>, checks ck_<table>_<what>. The Rust code
-- matches duplicate-key errors (1062) by the uk_ name.
--
-- The five tables detailed in spec 4.1-4.5 (users, produits,
-- segment_tracking_config, chronos, commandes) keep the spec's columns and
-- types verbatim, additions are marked "added". Cyclic foreign keys
-- (users <-> ateliers, users <-> fabricants) are added by ALTER TABLE at
-- the end of this file.

-- ---------------------------------------------------------------------------
-- Identity and organisation
-- ---------------------------------------------------------------------------

-- users: every account (athletes, workshop operators, admins, the local agent).
-- reset_token holds the SHA-256 hex hash of the reset token, never the token.
CREATE TABLE users (
  id                    INT AUTO_INCREMENT PRIMARY KEY,
  email                 VARCHAR(255) NOT NULL,
  password              VARCHAR(255) NOT NULL,
  role                  ENUM('sportif','operateur_fab','admin_fab','admin_chrono','super_admin') NOT NULL,
  nom                   VARCHAR(100),
  prenom                VARCHAR(100),
  atelier_id            INT NULL,
  fabricant_id          INT NULL,
  strava_connected      BOOLEAN DEFAULT FALSE,
  strava_id             VARCHAR(50) NULL,
  strava_access_token   VARCHAR(500) NULL,
  strava_refresh_token  VARCHAR(500) NULL,
  strava_token_expires  INT NULL,
  presta_customer_id    INT NULL,
  reset_token           VARCHAR(255) NULL,
  reset_expires         DATETIME NULL,
  actif                 BOOLEAN DEFAULT TRUE,
  anonymized_at         TIMESTAMP NULL,
  date_inscription      TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  derniere_connexion    TIMESTAMP NULL,
  created_at            TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_users_email (email),
  UNIQUE KEY uk_users_strava_id (strava_id),
  KEY idx_users_role (role),
  KEY idx_users_atelier (atelier_id),
  KEY idx_users_fabricant (fabricant_id),
  KEY idx_users_presta_customer (presta_customer_id),
  KEY idx_users_reset_token (reset_token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ateliers: production sites (code, name, UI colour). An operateur_fab sees
-- only the orders and lots of its own atelier.
CREATE TABLE ateliers (
  id              INT AUTO_INCREMENT PRIMARY KEY,
  code            VARCHAR(20) NOT NULL,
  nom             VARCHAR(100) NOT NULL,
  couleur         VARCHAR(7) NOT NULL DEFAULT '#c8a84b',
  responsable_id  INT NULL,
  adresse         TEXT NULL,
  actif           BOOLEAN NOT NULL DEFAULT TRUE,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_ateliers_code (code),
  KEY idx_ateliers_responsable (responsable_id),
  CONSTRAINT fk_ateliers_responsable_id FOREIGN KEY (responsable_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- fabricants: B2B manufacturer entities (PrestaShop feature mko_fabricant_id),
-- each managed by an admin_fab user.
CREATE TABLE fabricants (
  id                 INT AUTO_INCREMENT PRIMARY KEY,
  nom                VARCHAR(200) NOT NULL,
  code               VARCHAR(20) NOT NULL,
  admin_user_id      INT NULL,
  contact_email      VARCHAR(255) NULL,
  contact_telephone  VARCHAR(30) NULL,
  actif              BOOLEAN NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_fabricants_code (code),
  KEY idx_fabricants_admin_user (admin_user_id),
  CONSTRAINT fk_fabricants_admin_user_id FOREIGN KEY (admin_user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Courses (parcours) and GPS tracking
-- ---------------------------------------------------------------------------

-- produits: the courses (cols, trails, hikes) a medal can be engraved for.
-- code (added) is the 3-letter course code of order numbers MKO-<year>-<code>-<seq>.
CREATE TABLE produits (
  id                    INT AUTO_INCREMENT PRIMARY KEY,
  slug                  VARCHAR(100) NOT NULL,
  code                  CHAR(3) NOT NULL,
  nom                   VARCHAR(200) NOT NULL,
  categorie             ENUM('cyclisme','trail','rando') NOT NULL,
  altitude              INT,
  distance_km           DECIMAL(6,2),
  denivele              INT,
  difficulte            VARCHAR(30),
  sous_titre            VARCHAR(300),
  description           TEXT,
  actif                 BOOLEAN DEFAULT TRUE,
  message_desactivation TEXT NULL,
  sommet_lat            DECIMAL(10,7) NULL,
  sommet_lng            DECIMAL(10,7) NULL,
  depart_lat            DECIMAL(10,7) NULL,
  depart_lng            DECIMAL(10,7) NULL,
  rayon_km              DECIMAL(4,2) DEFAULT 1.0,
  strava_keywords       VARCHAR(200) NULL,
  shop_synced           BOOLEAN DEFAULT FALSE,
  presta_product_id     INT NULL,
  lien_boutique         VARCHAR(500) NULL,
  qr_url                VARCHAR(500) NULL,
  created_at            TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_produits_slug (slug),
  UNIQUE KEY uk_produits_code (code),
  KEY idx_produits_actif (actif),
  KEY idx_produits_depart (depart_lat, depart_lng),
  KEY idx_produits_presta_product (presta_product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- segment_tracking_config: 1-1 with produits, every parameter of the mobile GPS
-- state machine. Created with the defaults together with each produit.
CREATE TABLE segment_tracking_config (
  id                              INT AUTO_INCREMENT PRIMARY KEY,
  produit_id                      INT NOT NULL,
  wake_distance_m                 INT NOT NULL DEFAULT 2000,
  high_accuracy_start_distance_m  INT NOT NULL DEFAULT 300,
  pulse_high_accuracy_duration_s  INT NOT NULL DEFAULT 10,
  pulse_low_accuracy_duration_s   INT NOT NULL DEFAULT 45,
  finish_high_accuracy_distance_m INT NOT NULL DEFAULT 400,
  cooldown_distance_m             INT NOT NULL DEFAULT 150,
  cooldown_time_s                 INT NOT NULL DEFAULT 40,
  created_at                      TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at                      TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_segment_tracking_config_produit (produit_id),
  CONSTRAINT fk_segment_tracking_config_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- chronos: one timed attempt of an athlete on a course (QR, manual, Strava, GPX).
-- A rejection by admin_chrono is statut 'annule' with motif_rejet and valide_par.
CREATE TABLE chronos (
  id                 INT AUTO_INCREMENT PRIMARY KEY,
  user_id            INT NOT NULL,
  produit_id         INT NOT NULL,
  duree_secondes     INT,
  ajustement_sec     INT DEFAULT 0,
  source             ENUM('qr','manuel','strava','gpx') DEFAULT 'qr',
  statut             ENUM('en_cours','attente_validation','valide','annule') DEFAULT 'en_cours',
  date_debut         DATETIME,
  date_fin           DATETIME,
  date_realisation   VARCHAR(20),
  preuve_url         VARCHAR(500),
  auto_valide        BOOLEAN DEFAULT FALSE,
  gps_arrivee        VARCHAR(50) NULL,
  strava_activity_id VARCHAR(50) NULL,
  score_detection    DECIMAL(3,2) NULL,
  valide_par         INT NULL,
  valide_at          DATETIME NULL,
  motif_rejet        VARCHAR(500) NULL,
  gpx_meta           JSON NULL,
  created_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_chronos_strava_activity_produit (strava_activity_id, produit_id),
  KEY idx_chronos_user_produit_statut (user_id, produit_id, statut),
  KEY idx_chronos_produit_statut_duree (produit_id, statut, duree_secondes),
  KEY idx_chronos_statut_created (statut, created_at),
  KEY idx_chronos_valide_par (valide_par),
  CONSTRAINT fk_chronos_user_id FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_chronos_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id),
  CONSTRAINT fk_chronos_valide_par FOREIGN KEY (valide_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Engraving and label templates, lots
-- ---------------------------------------------------------------------------

-- templates_gravure: DXF templates with placeholders and the plate layout
-- (spacing, columns, max medals per batch). File stored under storage/.
CREATE TABLE templates_gravure (
  id                    INT AUTO_INCREMENT PRIMARY KEY,
  nom                   VARCHAR(200) NOT NULL,
  fichier_path          VARCHAR(500) NOT NULL,
  fichier_nom_original  VARCHAR(255) NULL,
  fichier_sha256        CHAR(64) NULL,
  placeholders          JSON NULL,
  espacement_x_mm       DECIMAL(8,2) NOT NULL DEFAULT 10,
  espacement_y_mm       DECIMAL(8,2) NOT NULL DEFAULT 10,
  colonnes              INT NOT NULL DEFAULT 5,
  max_batch             INT NOT NULL DEFAULT 50,
  largeur_mm            DECIMAL(8,2) NULL,
  hauteur_mm            DECIMAL(8,2) NULL,
  produit_id            INT NULL,
  actif                 BOOLEAN NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_templates_gravure_produit (produit_id),
  CONSTRAINT fk_templates_gravure_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- templates_etiquettes: HTML shipping-label templates ({{nom}}, {{adresse}},
-- {{numero_suivi}}...) per carrier and label size.
CREATE TABLE templates_etiquettes (
  id            INT AUTO_INCREMENT PRIMARY KEY,
  nom           VARCHAR(200) NOT NULL,
  html          MEDIUMTEXT NOT NULL,
  transporteur  VARCHAR(100) NULL,
  largeur_mm    DECIMAL(8,2) NULL,
  hauteur_mm    DECIMAL(8,2) NULL,
  actif         BOOLEAN NOT NULL DEFAULT TRUE,
  created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- lots: batches of orders engraved together with one DXF template.
-- agent_statut tracks the workshop agent (NULL = not handed to the agent).
CREATE TABLE lots (
  id                   INT AUTO_INCREMENT PRIMARY KEY,
  numero               VARCHAR(30) NOT NULL,
  template_gravure_id  INT NOT NULL,
  atelier_id           INT NULL,
  statut               ENUM('cree','en_gravure','grave','termine','annule') NOT NULL DEFAULT 'cree',
  nb_commandes         INT NOT NULL DEFAULT 0,
  cree_par             INT NULL,
  agent_statut         ENUM('en_attente','genere','erreur') NULL,
  agent_rapport        JSON NULL,
  date_gravure         DATETIME NULL,
  created_at           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_lots_numero (numero),
  KEY idx_lots_statut (statut),
  KEY idx_lots_atelier_statut (atelier_id, statut),
  KEY idx_lots_agent_statut (agent_statut),
  KEY idx_lots_template_gravure (template_gravure_id),
  KEY idx_lots_cree_par (cree_par),
  CONSTRAINT fk_lots_template_gravure_id FOREIGN KEY (template_gravure_id) REFERENCES templates_gravure (id),
  CONSTRAINT fk_lots_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE SET NULL,
  CONSTRAINT fk_lots_cree_par FOREIGN KEY (cree_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Orders
-- ---------------------------------------------------------------------------

-- commande_sequences: per-year, per-code counters for order numbers
-- MKO-<annee>-<code>-<dernier>. Concurrency-safe use, then SELECT LAST_INSERT_ID():
--   INSERT INTO commande_sequences (annee, code, dernier) VALUES (?, ?, LAST_INSERT_ID(1))
--   ON DUPLICATE KEY UPDATE dernier = LAST_INSERT_ID(dernier + 1)
-- Lot and SAV ticket numbers may use the pseudo-codes 'LOT' and 'SAV'.
CREATE TABLE commande_sequences (
  annee    SMALLINT NOT NULL,
  code     CHAR(3) NOT NULL,
  dernier  INT NOT NULL,
  PRIMARY KEY (annee, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- commandes: one medal order (B2C athlete order, B2B batch order, or SAV re-order).
-- Spec columns verbatim except: user_id is nullable (B2B orders may have no
-- athlete) and statut is NOT NULL DEFAULT 'attente_gravure'.
-- NOM_COMPLET is never stored, it is read from users at DXF generation.
CREATE TABLE commandes (
  id                      INT AUTO_INCREMENT PRIMARY KEY,
  numero                  VARCHAR(30) NOT NULL,
  user_id                 INT NULL,
  chrono_id               INT NULL,
  produit_id              INT NOT NULL,
  atelier_id              INT NULL,
  operateur_id            INT NULL,
  statut                  ENUM('attente_gravure','en_gravure','grave',
                               'attente_expedition','expedie','livre','sav','annule') NOT NULL DEFAULT 'attente_gravure',
  chrono_valide           BOOLEAN DEFAULT FALSE,
  duree_secondes          INT,
  date_commande           DATETIME DEFAULT CURRENT_TIMESTAMP,
  date_gravure            DATETIME NULL,
  date_expedition         DATETIME NULL,
  date_livraison          DATETIME NULL,
  tracking                VARCHAR(100) NULL,
  transporteur            VARCHAR(100) NULL,
  historique              JSON DEFAULT ('[]'),
  gravure_texte           JSON NOT NULL,
  validation_sportif      BOOLEAN DEFAULT FALSE,
  date_validation_sportif DATETIME NULL,
  lot_id                  INT NULL,
  presta_order_id         INT NULL,
  is_b2b                  BOOLEAN DEFAULT FALSE,
  b2b_client_nom          VARCHAR(200) NULL,
  b2b_client_type         ENUM('mairie','boutique','association','autre') NULL,
  b2b_fabricant_id        INT NULL,
  b2b_quantite            INT DEFAULT 1,
  is_sav                  BOOLEAN NOT NULL DEFAULT FALSE,
  commande_origine_id     INT NULL,
  email_client            VARCHAR(255) NULL,
  adresse_livraison       JSON NULL,
  etiquette_statut        ENUM('en_attente','generee','erreur') NULL,
  etiquette_template_id   INT NULL,
  etiquette_path          VARCHAR(500) NULL,
  etiquette_generee_at    DATETIME NULL,
  created_at              TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at              TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_commandes_numero (numero),
  UNIQUE KEY uk_commandes_presta_order (presta_order_id),
  KEY idx_commandes_statut (statut),
  KEY idx_commandes_atelier_statut (atelier_id, statut),
  KEY idx_commandes_produit (produit_id),
  KEY idx_commandes_user (user_id),
  KEY idx_commandes_chrono (chrono_id),
  KEY idx_commandes_operateur (operateur_id),
  KEY idx_commandes_b2b_fabricant (is_b2b, b2b_fabricant_id),
  KEY idx_commandes_fabricant (b2b_fabricant_id),
  KEY idx_commandes_lot (lot_id),
  KEY idx_commandes_date_commande (date_commande),
  KEY idx_commandes_origine (commande_origine_id),
  KEY idx_commandes_etiquette_statut (etiquette_statut),
  KEY idx_commandes_etiquette_template (etiquette_template_id),
  CONSTRAINT fk_commandes_user_id FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_commandes_chrono_id FOREIGN KEY (chrono_id) REFERENCES chronos (id),
  CONSTRAINT fk_commandes_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id),
  CONSTRAINT fk_commandes_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE SET NULL,
  CONSTRAINT fk_commandes_operateur_id FOREIGN KEY (operateur_id) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT fk_commandes_lot_id FOREIGN KEY (lot_id) REFERENCES lots (id) ON DELETE SET NULL,
  CONSTRAINT fk_commandes_b2b_fabricant_id FOREIGN KEY (b2b_fabricant_id) REFERENCES fabricants (id) ON DELETE SET NULL,
  CONSTRAINT fk_commandes_commande_origine_id FOREIGN KEY (commande_origine_id) REFERENCES commandes (id) ON DELETE SET NULL,
  CONSTRAINT fk_commandes_etiquette_template_id FOREIGN KEY (etiquette_template_id) REFERENCES templates_etiquettes (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- commande_lot: pivot lots <-> commandes with the medal's position in the lot.
-- Keeps history: commandes.lot_id points at the current lot.
CREATE TABLE commande_lot (
  lot_id       INT NOT NULL,
  commande_id  INT NOT NULL,
  position     INT NOT NULL DEFAULT 0,
  PRIMARY KEY (lot_id, commande_id),
  KEY idx_commande_lot_commande (commande_id),
  CONSTRAINT fk_commande_lot_lot_id FOREIGN KEY (lot_id) REFERENCES lots (id) ON DELETE CASCADE,
  CONSTRAINT fk_commande_lot_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- fichiers_gravure: DXF files generated for a lot (by the server or the agent).
CREATE TABLE fichiers_gravure (
  id                   INT AUTO_INCREMENT PRIMARY KEY,
  lot_id               INT NOT NULL,
  template_gravure_id  INT NOT NULL,
  fichier_path         VARCHAR(500) NOT NULL,
  taille_octets        BIGINT NOT NULL DEFAULT 0,
  sha256               CHAR(64) NULL,
  nb_medailles         INT NOT NULL DEFAULT 0,
  genere_par           ENUM('serveur','agent') NOT NULL DEFAULT 'serveur',
  created_at           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_fichiers_gravure_lot (lot_id),
  KEY idx_fichiers_gravure_template (template_gravure_id),
  CONSTRAINT fk_fichiers_gravure_lot_id FOREIGN KEY (lot_id) REFERENCES lots (id) ON DELETE CASCADE,
  CONSTRAINT fk_fichiers_gravure_template_gravure_id FOREIGN KEY (template_gravure_id) REFERENCES templates_gravure (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- commande_fichier_gravure: pivot DXF files <-> commandes, where each medal sits
-- on the plate (mm from the template origin).
CREATE TABLE commande_fichier_gravure (
  fichier_id   INT NOT NULL,
  commande_id  INT NOT NULL,
  position     INT NOT NULL DEFAULT 0,
  x_mm         DECIMAL(10,2) NULL,
  y_mm         DECIMAL(10,2) NULL,
  PRIMARY KEY (fichier_id, commande_id),
  KEY idx_commande_fichier_gravure_commande (commande_id),
  CONSTRAINT fk_commande_fichier_gravure_fichier_id FOREIGN KEY (fichier_id) REFERENCES fichiers_gravure (id) ON DELETE CASCADE,
  CONSTRAINT fk_commande_fichier_gravure_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Stock
-- ---------------------------------------------------------------------------

-- stocks: blank medals on hand per course and atelier, with the alert threshold.
CREATE TABLE stocks (
  id            INT AUTO_INCREMENT PRIMARY KEY,
  produit_id    INT NOT NULL,
  atelier_id    INT NOT NULL,
  quantite      INT NOT NULL DEFAULT 0,
  seuil_alerte  INT NOT NULL DEFAULT 10,
  created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_stocks_produit_atelier (produit_id, atelier_id),
  KEY idx_stocks_atelier (atelier_id),
  CONSTRAINT fk_stocks_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id) ON DELETE CASCADE,
  CONSTRAINT fk_stocks_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- stock_mouvements: journal of stock changes. quantite is the signed delta,
-- quantite_apres the stock level right after the movement.
CREATE TABLE stock_mouvements (
  id              INT AUTO_INCREMENT PRIMARY KEY,
  stock_id        INT NOT NULL,
  type            ENUM('entree','sortie','ajustement','gravure','retour') NOT NULL,
  quantite        INT NOT NULL,
  quantite_apres  INT NOT NULL,
  motif           VARCHAR(500) NULL,
  commande_id     INT NULL,
  user_id         INT NULL,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_stock_mouvements_stock_created (stock_id, created_at),
  KEY idx_stock_mouvements_commande (commande_id),
  KEY idx_stock_mouvements_user (user_id),
  CONSTRAINT fk_stock_mouvements_stock_id FOREIGN KEY (stock_id) REFERENCES stocks (id) ON DELETE CASCADE,
  CONSTRAINT fk_stock_mouvements_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE SET NULL,
  CONSTRAINT fk_stock_mouvements_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Chat and notifications
-- ---------------------------------------------------------------------------

-- chat_conversations: internal message threads (polled every 5 s).
-- updated_at is bumped on each new message to sort the conversation list.
CREATE TABLE chat_conversations (
  id          INT AUTO_INCREMENT PRIMARY KEY,
  titre       VARCHAR(200) NULL,
  atelier_id  INT NULL,
  cree_par    INT NULL,
  created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_chat_conversations_updated (updated_at),
  KEY idx_chat_conversations_atelier (atelier_id),
  KEY idx_chat_conversations_cree_par (cree_par),
  CONSTRAINT fk_chat_conversations_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE SET NULL,
  CONSTRAINT fk_chat_conversations_cree_par FOREIGN KEY (cree_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- chat_participants: members of a conversation and their read marker.
CREATE TABLE chat_participants (
  conversation_id  INT NOT NULL,
  user_id          INT NOT NULL,
  dernier_lu_at    DATETIME(3) NULL,
  created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (conversation_id, user_id),
  KEY idx_chat_participants_user (user_id),
  CONSTRAINT fk_chat_participants_conversation_id FOREIGN KEY (conversation_id) REFERENCES chat_conversations (id) ON DELETE CASCADE,
  CONSTRAINT fk_chat_participants_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- chat_messages: messages and attachments (max 5 MB, stored under storage/).
-- created_at has millisecond precision for the ?since= polling.
CREATE TABLE chat_messages (
  id                  INT AUTO_INCREMENT PRIMARY KEY,
  conversation_id     INT NOT NULL,
  user_id             INT NULL,
  contenu             TEXT NOT NULL,
  piece_jointe_path   VARCHAR(500) NULL,
  piece_jointe_nom    VARCHAR(255) NULL,
  piece_jointe_mime   VARCHAR(100) NULL,
  piece_jointe_taille INT NULL,
  created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_chat_messages_conversation_created (conversation_id, created_at),
  KEY idx_chat_messages_user (user_id),
  CONSTRAINT fk_chat_messages_conversation_id FOREIGN KEY (conversation_id) REFERENCES chat_conversations (id) ON DELETE CASCADE,
  CONSTRAINT fk_chat_messages_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- notifications: in-app notifications of a user.
CREATE TABLE notifications (
  id          INT AUTO_INCREMENT PRIMARY KEY,
  user_id     INT NOT NULL,
  type        VARCHAR(50) NOT NULL,
  titre       VARCHAR(200) NOT NULL,
  message     TEXT NULL,
  lien        VARCHAR(500) NULL,
  lu          BOOLEAN NOT NULL DEFAULT FALSE,
  created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_notifications_user_lu (user_id, lu, created_at),
  CONSTRAINT fk_notifications_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Audit log
-- ---------------------------------------------------------------------------

-- logs_audit: journal of every event (requests, auth, business actions).
-- user_email and role are copied so rows stay readable after user deletion.
CREATE TABLE logs_audit (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  user_id      INT NULL,
  user_email   VARCHAR(255) NULL,
  role         VARCHAR(30) NULL,
  methode      VARCHAR(10) NULL,
  route        VARCHAR(255) NULL,
  statut_http  SMALLINT NULL,
  niveau       ENUM('INFO','WARN','ERROR') NOT NULL DEFAULT 'INFO',
  type         VARCHAR(50) NOT NULL,
  entite       VARCHAR(50) NULL,
  entite_id    INT NULL,
  details      JSON NULL,
  ip           VARCHAR(45) NULL,
  user_agent   VARCHAR(255) NULL,
  duree_ms     INT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_logs_audit_created (created_at),
  KEY idx_logs_audit_user_created (user_id, created_at),
  KEY idx_logs_audit_type_created (type, created_at),
  KEY idx_logs_audit_niveau_created (niveau, created_at),
  CONSTRAINT fk_logs_audit_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- After-sales service and quality
-- ---------------------------------------------------------------------------

-- sav_tickets: SAV Express tickets. commande_sav_id is the replacement order
-- created for the ticket (commandes.is_sav = TRUE).
CREATE TABLE sav_tickets (
  id               INT AUTO_INCREMENT PRIMARY KEY,
  numero           VARCHAR(30) NOT NULL,
  commande_id      INT NOT NULL,
  commande_sav_id  INT NULL,
  motif            ENUM('rayure','erreur_texte','medaille_endommagee','colis_perdu','reclamation') NOT NULL,
  geste            ENUM('livraison_offerte','remise_10','medaille_offerte','remboursement') NULL,
  statut           ENUM('ouvert','en_cours','resolu','ferme') NOT NULL DEFAULT 'ouvert',
  description      TEXT NULL,
  cree_par         INT NULL,
  assigne_a        INT NULL,
  resolu_at        DATETIME NULL,
  created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_sav_tickets_numero (numero),
  KEY idx_sav_tickets_statut_created (statut, created_at),
  KEY idx_sav_tickets_commande (commande_id),
  KEY idx_sav_tickets_commande_sav (commande_sav_id),
  KEY idx_sav_tickets_cree_par (cree_par),
  KEY idx_sav_tickets_assigne_a (assigne_a),
  CONSTRAINT fk_sav_tickets_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id),
  CONSTRAINT fk_sav_tickets_commande_sav_id FOREIGN KEY (commande_sav_id) REFERENCES commandes (id) ON DELETE SET NULL,
  CONSTRAINT fk_sav_tickets_cree_par FOREIGN KEY (cree_par) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT fk_sav_tickets_assigne_a FOREIGN KEY (assigne_a) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- types_defauts: catalogue of defect types (seeded in 0002).
CREATE TABLE types_defauts (
  id       INT AUTO_INCREMENT PRIMARY KEY,
  code     VARCHAR(50) NOT NULL,
  libelle  VARCHAR(200) NOT NULL,
  actif    BOOLEAN NOT NULL DEFAULT TRUE,
  UNIQUE KEY uk_types_defauts_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- causes_defauts: catalogue of defect causes (seeded in 0002).
CREATE TABLE causes_defauts (
  id       INT AUTO_INCREMENT PRIMARY KEY,
  code     VARCHAR(50) NOT NULL,
  libelle  VARCHAR(200) NOT NULL,
  actif    BOOLEAN NOT NULL DEFAULT TRUE,
  UNIQUE KEY uk_causes_defauts_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- defauts: quality non-conformities reported by the workshops.
CREATE TABLE defauts (
  id           INT AUTO_INCREMENT PRIMARY KEY,
  commande_id  INT NULL,
  lot_id       INT NULL,
  atelier_id   INT NULL,
  type_id      INT NOT NULL,
  cause_id     INT NULL,
  description  TEXT NULL,
  gravite      ENUM('mineur','majeur','critique') NOT NULL DEFAULT 'mineur',
  statut       ENUM('ouvert','traite','clos') NOT NULL DEFAULT 'ouvert',
  signale_par  INT NULL,
  photo_path   VARCHAR(500) NULL,
  created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_defauts_statut_created (statut, created_at),
  KEY idx_defauts_atelier_created (atelier_id, created_at),
  KEY idx_defauts_commande (commande_id),
  KEY idx_defauts_lot (lot_id),
  KEY idx_defauts_type (type_id),
  KEY idx_defauts_cause (cause_id),
  KEY idx_defauts_signale_par (signale_par),
  CONSTRAINT fk_defauts_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE SET NULL,
  CONSTRAINT fk_defauts_lot_id FOREIGN KEY (lot_id) REFERENCES lots (id) ON DELETE SET NULL,
  CONSTRAINT fk_defauts_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE SET NULL,
  CONSTRAINT fk_defauts_type_id FOREIGN KEY (type_id) REFERENCES types_defauts (id),
  CONSTRAINT fk_defauts_cause_id FOREIGN KEY (cause_id) REFERENCES causes_defauts (id) ON DELETE SET NULL,
  CONSTRAINT fk_defauts_signale_par FOREIGN KEY (signale_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Reports
-- ---------------------------------------------------------------------------

-- rapports: saved report definitions (type + JSON parameters + output format).
CREATE TABLE rapports (
  id          INT AUTO_INCREMENT PRIMARY KEY,
  nom         VARCHAR(200) NOT NULL,
  type        VARCHAR(50) NOT NULL,
  parametres  JSON NULL,
  format      ENUM('csv','json') NOT NULL DEFAULT 'csv',
  cree_par    INT NULL,
  created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_rapports_cree_par (cree_par),
  CONSTRAINT fk_rapports_cree_par FOREIGN KEY (cree_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- rapports_generation: history of report runs. rapport_id is NULL for an
-- ad-hoc export (type and format then say what was run).
CREATE TABLE rapports_generation (
  id            INT AUTO_INCREMENT PRIMARY KEY,
  rapport_id    INT NULL,
  type          VARCHAR(50) NULL,
  format        ENUM('csv','json') NOT NULL DEFAULT 'csv',
  genere_par    INT NULL,
  fichier_path  VARCHAR(500) NULL,
  nb_lignes     INT NOT NULL DEFAULT 0,
  created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_rapports_generation_rapport_created (rapport_id, created_at),
  KEY idx_rapports_generation_genere_par (genere_par),
  CONSTRAINT fk_rapports_generation_rapport_id FOREIGN KEY (rapport_id) REFERENCES rapports (id) ON DELETE SET NULL,
  CONSTRAINT fk_rapports_generation_genere_par FOREIGN KEY (genere_par) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Email reminders
-- ---------------------------------------------------------------------------

-- relance_seuils: reminder thresholds for the hourly cron. type is e.g.
-- 'chrono_attente_validation' or 'gravure_non_validee', templates use
-- {{prenom}} {{col}} {{chrono}} {{jours}}.
CREATE TABLE relance_seuils (
  id                INT AUTO_INCREMENT PRIMARY KEY,
  type              VARCHAR(50) NOT NULL,
  jours             INT NOT NULL,
  sujet             VARCHAR(255) NOT NULL,
  message_template  TEXT NOT NULL,
  actif             BOOLEAN NOT NULL DEFAULT TRUE,
  created_at        TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at        TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_relance_seuils_type_jours (type, jours)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- relances_envoyees: reminders already sent, so each is sent once.
-- Set only the target column of the seuil type (chrono_id for chrono_* types,
-- commande_id for order types): a unique key holding a NULL never collides,
-- so there is one unique key per target.
CREATE TABLE relances_envoyees (
  id           INT AUTO_INCREMENT PRIMARY KEY,
  seuil_id     INT NOT NULL,
  user_id      INT NOT NULL,
  chrono_id    INT NULL,
  commande_id  INT NULL,
  envoye_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_relances_envoyees_seuil_chrono (seuil_id, chrono_id),
  UNIQUE KEY uk_relances_envoyees_seuil_commande (seuil_id, commande_id),
  KEY idx_relances_envoyees_user (user_id),
  KEY idx_relances_envoyees_chrono (chrono_id),
  KEY idx_relances_envoyees_commande (commande_id),
  CONSTRAINT fk_relances_envoyees_seuil_id FOREIGN KEY (seuil_id) REFERENCES relance_seuils (id) ON DELETE CASCADE,
  CONSTRAINT fk_relances_envoyees_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_relances_envoyees_chrono_id FOREIGN KEY (chrono_id) REFERENCES chronos (id) ON DELETE CASCADE,
  CONSTRAINT fk_relances_envoyees_commande_id FOREIGN KEY (commande_id) REFERENCES commandes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- External integrations
-- ---------------------------------------------------------------------------

-- prestashop_config: singleton (id = 1, row seeded in 0002). Secrets and tokens
-- are AES-256-GCM encrypted with ENCRYPTION_KEY. .env values take precedence
-- where the code says so. State and group ids stay configurable (spec 13.2).
CREATE TABLE prestashop_config (
  id                      INT NOT NULL DEFAULT 1 PRIMARY KEY,
  url                     VARCHAR(255) NULL,
  client_id               VARCHAR(100) NULL,
  client_secret_chiffre   TEXT NULL,
  webservice_key_chiffre  TEXT NULL,
  access_token_chiffre    TEXT NULL,
  token_expires_at        DATETIME NULL,
  statut_gravure_id       INT NOT NULL DEFAULT 24,
  statut_expedition_id    INT NOT NULL DEFAULT 4,
  statut_paiement_id      INT NOT NULL DEFAULT 2,
  groupe_b2b_id           INT NOT NULL DEFAULT 4,
  derniere_sync_at        DATETIME NULL,
  derniere_sync_b2b_at    DATETIME NULL,
  updated_at              TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  CONSTRAINT ck_prestashop_config_singleton CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- strava_config: singleton (id = 1, row seeded in 0002), Strava OAuth app
-- and webhook subscription.
CREATE TABLE strava_config (
  id                     INT NOT NULL DEFAULT 1 PRIMARY KEY,
  client_id              VARCHAR(50) NULL,
  client_secret_chiffre  TEXT NULL,
  verify_token           VARCHAR(100) NULL,
  subscription_id        BIGINT NULL,
  callback_url           VARCHAR(500) NULL,
  updated_at             TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  CONSTRAINT ck_strava_config_singleton CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- strava_events: webhook events queued by the handler (acknowledged within 2 s),
-- processed afterwards or by cron. The unique key drops Strava's retries
-- (use INSERT IGNORE). traite_at NULL = still to process.
CREATE TABLE strava_events (
  id               INT AUTO_INCREMENT PRIMARY KEY,
  object_type      VARCHAR(20) NOT NULL,
  object_id        BIGINT NOT NULL,
  aspect_type      VARCHAR(20) NOT NULL,
  owner_id         BIGINT NOT NULL,
  subscription_id  BIGINT NULL,
  event_time       BIGINT NULL,
  payload          JSON NOT NULL,
  tentatives       INT NOT NULL DEFAULT 0,
  traite_at        DATETIME NULL,
  erreur           TEXT NULL,
  created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_strava_events_event (object_type, object_id, aspect_type, event_time),
  KEY idx_strava_events_traite (traite_at, id),
  KEY idx_strava_events_owner (owner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- export_destinations: webhook destinations of the course export (10.1).
-- mode_auth says how secret_chiffre is used: not at all, as a Bearer token,
-- or as the key of an HMAC-SHA256 signature of the body.
CREATE TABLE export_destinations (
  id              INT AUTO_INCREMENT PRIMARY KEY,
  nom             VARCHAR(200) NOT NULL,
  url             VARCHAR(500) NOT NULL,
  mode_auth       ENUM('aucun','bearer','hmac') NOT NULL DEFAULT 'aucun',
  secret_chiffre  TEXT NULL,
  headers         JSON NULL,
  actif           BOOLEAN NOT NULL DEFAULT TRUE,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- export_logs: one row per export attempt to one destination.
CREATE TABLE export_logs (
  id              INT AUTO_INCREMENT PRIMARY KEY,
  destination_id  INT NOT NULL,
  produit_id      INT NOT NULL,
  http_status     INT NULL,
  succes          BOOLEAN NOT NULL DEFAULT FALSE,
  erreur          TEXT NULL,
  duree_ms        INT NOT NULL DEFAULT 0,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_export_logs_destination_created (destination_id, created_at),
  KEY idx_export_logs_produit_created (produit_id, created_at),
  CONSTRAINT fk_export_logs_destination_id FOREIGN KEY (destination_id) REFERENCES export_destinations (id) ON DELETE CASCADE,
  CONSTRAINT fk_export_logs_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Rankings
-- ---------------------------------------------------------------------------

-- classements: precomputed best valid time per athlete per course. Rank =
-- 1 + rows of the same produit with a better time (ties broken by chrono_id).
CREATE TABLE classements (
  id                  INT AUTO_INCREMENT PRIMARY KEY,
  produit_id          INT NOT NULL,
  user_id             INT NOT NULL,
  chrono_id           INT NOT NULL,
  meilleur_temps_sec  INT NOT NULL,
  updated_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_classements_produit_user (produit_id, user_id),
  KEY idx_classements_rang (produit_id, meilleur_temps_sec, chrono_id),
  KEY idx_classements_user (user_id),
  KEY idx_classements_chrono (chrono_id),
  CONSTRAINT fk_classements_produit_id FOREIGN KEY (produit_id) REFERENCES produits (id) ON DELETE CASCADE,
  CONSTRAINT fk_classements_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_classements_chrono_id FOREIGN KEY (chrono_id) REFERENCES chronos (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Authentication, rate limiting, administration
-- ---------------------------------------------------------------------------

-- sessions: refresh tokens (SHA-256 hex of the token), rotated on each use.
-- A token reused after rotation revokes its whole family_id. parent_id and
-- replaced_by are informative links to sessions.id (no FK, purges stay cheap).
CREATE TABLE sessions (
  id           INT AUTO_INCREMENT PRIMARY KEY,
  user_id      INT NOT NULL,
  token_hash   CHAR(64) NOT NULL,
  family_id    CHAR(32) NOT NULL,
  parent_id    INT NULL,
  expires_at   DATETIME NOT NULL,
  revoked_at   DATETIME NULL,
  replaced_by  INT NULL,
  ip           VARCHAR(45) NULL,
  user_agent   VARCHAR(255) NULL,
  created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_sessions_token_hash (token_hash),
  KEY idx_sessions_family (family_id),
  KEY idx_sessions_user (user_id),
  KEY idx_sessions_expires (expires_at),
  CONSTRAINT fk_sessions_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- login_tokens: one-time athlete login links/codes (spec 7.5 as amended by
-- DECISIONS), stored as SHA-256 hex, short-lived, single use.
CREATE TABLE login_tokens (
  id          INT AUTO_INCREMENT PRIMARY KEY,
  user_id     INT NOT NULL,
  token_hash  CHAR(64) NOT NULL,
  expires_at  DATETIME NOT NULL,
  used_at     DATETIME NULL,
  tentatives  INT NOT NULL DEFAULT 0,
  ip          VARCHAR(45) NULL,
  created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_login_tokens_token_hash (token_hash),
  KEY idx_login_tokens_user (user_id),
  KEY idx_login_tokens_expires (expires_at),
  CONSTRAINT fk_login_tokens_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- rate_limits: fixed-window request counters per key (e.g. 'login:<ip>') and
-- circuit-breaker state of outgoing calls (5 failures then bloque_jusqu_a).
CREATE TABLE rate_limits (
  cle                 VARCHAR(191) NOT NULL PRIMARY KEY,
  compteur            INT NOT NULL DEFAULT 0,
  fenetre_debut       DATETIME NOT NULL,
  bloque_jusqu_a      DATETIME NULL,
  echecs_consecutifs  INT NOT NULL DEFAULT 0,
  updated_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_rate_limits_fenetre (fenetre_debut)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- app_config: key/value system configuration edited by the super_admin
-- (maintenance mode, SMTP settings...).
CREATE TABLE app_config (
  cle         VARCHAR(100) NOT NULL PRIMARY KEY,
  valeur      TEXT NULL,
  updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- backups: database dumps made by cron or by hand, with their SHA-256.
-- Retention keeps the 5 most recent.
CREATE TABLE backups (
  id           INT AUTO_INCREMENT PRIMARY KEY,
  fichier      VARCHAR(255) NOT NULL,
  taille       BIGINT NOT NULL DEFAULT 0,
  sha256       CHAR(64) NOT NULL,
  declencheur  ENUM('cron','manuel') NOT NULL DEFAULT 'cron',
  created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_backups_fichier (fichier),
  KEY idx_backups_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ---------------------------------------------------------------------------
-- Cyclic foreign keys
-- ---------------------------------------------------------------------------

-- users.atelier_id and users.fabricant_id point at tables that themselves
-- reference users, so these two keys are added last.
ALTER TABLE users
  ADD CONSTRAINT fk_users_atelier_id FOREIGN KEY (atelier_id) REFERENCES ateliers (id) ON DELETE SET NULL,
  ADD CONSTRAINT fk_users_fabricant_id FOREIGN KEY (fabricant_id) REFERENCES fabricants (id) ON DELETE SET NULL;
