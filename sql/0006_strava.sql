-- MyKollector migration 0006: Strava connection, webhook events, revocations.
--
-- Runs unchanged on MySQL 8.4 and MariaDB 10.11. The migrator splits on a
-- semicolon followed by a newline: no string or comment here may contain it.
-- The Strava columns of users (tokens AES-256-GCM encrypted, strava_id,
-- strava_token_expires) and of chronos (source 'strava', score_detection,
-- strava_activity_id, unique per activity and course), strava_config
-- (subscription_id, callback_url) and strava_events come from 0001.

-- The scopes the athlete actually granted (Strava lets them untick boxes).
ALTER TABLE users
  ADD COLUMN strava_scope VARCHAR(200) NULL AFTER strava_token_expires;

-- How a Strava chrono was timed: 'segment' = from the start zone to the
-- summit on the activity's timed track, 'temps_ecoule' = the activity's
-- whole elapsed time (no usable track).
ALTER TABLE chronos
  ADD COLUMN mesure_duree ENUM('segment','temps_ecoule') NULL AFTER score_detection;

-- strava_oauth_states: the `state` of an authorization in progress, bound to
-- the athlete who asked for it, single use (deleted when consumed) and short
-- lived. Only its SHA-256 is stored.
CREATE TABLE strava_oauth_states (
  state_hash  CHAR(64) NOT NULL PRIMARY KEY,
  user_id     INT NOT NULL,
  expires_at  DATETIME NOT NULL,
  created_at  TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  KEY idx_strava_oauth_states_expires (expires_at),
  CONSTRAINT fk_strava_oauth_states_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- strava_events (0001): every webhook event as received, worked after the
-- answer (after-commit job) or by the hourly cron. statut (added) says where
-- it is: a row leaves 'en_attente' only when its work is done ('traite') or
-- can never be done ('ignore', reason in erreur). A Strava outage or rate
-- limit leaves it pending. claimed_until keeps two workers off one event.
ALTER TABLE strava_events
  ADD COLUMN statut ENUM('en_attente','traite','ignore') NOT NULL DEFAULT 'en_attente' AFTER payload,
  ADD COLUMN claimed_until DATETIME NULL AFTER tentatives,
  ADD KEY idx_strava_events_statut (statut, id);

-- strava_revocations: tokens of a disconnected athlete still to deauthorize
-- at Strava (outbox: the disconnect never waits on Strava). Encrypted like
-- the users columns, deleted once Strava confirmed.
CREATE TABLE strava_revocations (
  id                    INT AUTO_INCREMENT PRIMARY KEY,
  user_id               INT NULL,
  access_token          VARCHAR(500) NOT NULL,
  refresh_token         VARCHAR(500) NULL,
  token_expires         INT NULL,
  tentatives            INT NOT NULL DEFAULT 0,
  derniere_erreur       VARCHAR(500) NULL,
  created_at            TIMESTAMP DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
