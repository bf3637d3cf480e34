# shellcheck shell=bash
# Messaging scenarios (issue 9 items 7-8): the chat poll every open chat
# window sends every 5 s (`?since=` the last message id, nothing new: the
# common case, one indexed query), and the notification list behind the bell.
# Sourced by scripts/bench.sh after the seed; see bench_get / bench_sql there.
#
# Fixtures: one conversation between the bench super admin and a workshop
# admin with 200 messages; 300 notifications of the super admin, a third of
# them read (the list sorts unread first).

MSG_ADMIN_ID="$(bench_sql "SELECT id FROM users WHERE email = '$ADMIN_EMAIL'")"
[[ -n "$MSG_ADMIN_ID" ]] || mk_die "bench.d/messaging.sh: no bench admin"
bench_sql "INSERT IGNORE INTO users (email, password, role, prenom, nom, actif)
           VALUES ('bench.atelier@mykollector.test', '-', 'admin_fab', 'Bench', 'Atelier', TRUE)" >/dev/null
MSG_PEER_ID="$(bench_sql "SELECT id FROM users WHERE email = 'bench.atelier@mykollector.test'")"
bench_sql "INSERT INTO chat_conversations (titre, cree_par) VALUES ('Bench chat', $MSG_ADMIN_ID)" >/dev/null
MSG_CONV_ID="$(bench_sql "SELECT MAX(id) FROM chat_conversations WHERE titre = 'Bench chat'")"
bench_sql "INSERT INTO chat_participants (conversation_id, user_id)
           VALUES ($MSG_CONV_ID, $MSG_ADMIN_ID), ($MSG_CONV_ID, $MSG_PEER_ID)" >/dev/null
# Row sources: the seed's chronos (100 000 by default) give the row counts.
bench_sql "INSERT INTO chat_messages (conversation_id, user_id, contenu)
           SELECT $MSG_CONV_ID, IF(id % 2 = 0, $MSG_ADMIN_ID, $MSG_PEER_ID), CONCAT('Message ', id)
             FROM chronos ORDER BY id LIMIT 200" >/dev/null
MSG_LAST_ID="$(bench_sql "SELECT MAX(id) FROM chat_messages WHERE conversation_id = $MSG_CONV_ID")"
bench_sql "INSERT INTO notifications (user_id, type, titre, lien, lu)
           SELECT $MSG_ADMIN_ID, 'stock_alerte', CONCAT('Alerte ', id), '/fab/', id % 3 = 0
             FROM chronos ORDER BY id LIMIT 300" >/dev/null

bench_get "GET /api/chat/{id}/messages?since= (nothing new)" \
  "/api/chat/$MSG_CONV_ID/messages?since=$MSG_LAST_ID" "$BENCH_TOKEN"
bench_get "GET /api/notifications" "/api/notifications" "$BENCH_TOKEN"
