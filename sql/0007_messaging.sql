-- 0007_messaging: the mail outbox, and what chat polling and unread counts
-- need (issue 9 items 5-8, issue 7 item 8).

-- mail_outbox: one row per e-mail the product sends, written in the
-- transaction of the change that causes it, so a rolled-back change sends
-- nothing and a committed one always has its mail. Sent right after the
-- commit; when SMTP fails the row keeps the error and the hourly cron
-- retries it at next_attempt_at (backoff). sent_at set = delivered.
CREATE TABLE mail_outbox (
  id               BIGINT AUTO_INCREMENT PRIMARY KEY,
  kind             VARCHAR(50)  NOT NULL,
  recipient        VARCHAR(255) NOT NULL,
  subject          VARCHAR(255) NOT NULL,
  body_text        MEDIUMTEXT   NOT NULL,
  body_html        MEDIUMTEXT   NOT NULL,
  attempts         INT          NOT NULL DEFAULT 0,
  last_error       VARCHAR(1000) NULL,
  next_attempt_at  DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  sent_at          DATETIME     NULL,
  created_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_mail_outbox_due (sent_at, next_attempt_at),
  KEY idx_mail_outbox_recipient (recipient)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Chat polling reads "messages of this conversation after id N": the
-- (conversation_id, id) index answers it with one range scan. Message ids are
-- the cursor (not created_at, which ties within a millisecond).
ALTER TABLE chat_messages ADD KEY idx_chat_messages_conversation_id (conversation_id, id);

-- The last message a participant has read, by id (unread counts).
ALTER TABLE chat_participants ADD COLUMN dernier_lu_id INT NULL AFTER dernier_lu_at;
