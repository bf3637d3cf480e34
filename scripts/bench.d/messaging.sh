# shellcheck shell=bash
# Messaging scenarios (issue 9 items 7-8): the chat poll every open chat
# window sends every 5 s (`?since=` the last message id, nothing new: the
# common case, one indexed query), and the notification list behind the bell.
# Sourced by scripts/bench.sh after the seed; see bench_get / bench_sql /
# bench_chat there.
#
# Fixtures: one conversation between the bench super admin and a workshop
# admin with 200 messages; 300 notifications of the super admin, a third of
# them read (the list sorts unread first).

MSG_ADMIN_ID="$(bench_sql "SELECT id FROM users WHERE email = '$ADMIN_EMAIL'")"
[[ -n "$MSG_ADMIN_ID" ]] || mk_die "bench.d/messaging.sh: no bench admin"
bench_chat 'Bench chat' "$MSG_ADMIN_ID" bench.atelier@mykollector.test Atelier
MSG_CONV_ID="$(bench_sql "SELECT MAX(id) FROM chat_conversations WHERE titre = 'Bench chat'")"
MSG_LAST_ID="$(bench_sql "SELECT MAX(id) FROM chat_messages WHERE conversation_id = $MSG_CONV_ID")"
# Row source: the seed's chronos (100 000 by default) give the row count.
bench_sql "INSERT INTO notifications (user_id, type, titre, lien, lu)
           SELECT $MSG_ADMIN_ID, 'stock_alerte', CONCAT('Alerte ', id), '/fab/', id % 3 = 0
             FROM chronos ORDER BY id LIMIT 300" >/dev/null

bench_get "GET /api/chat/{id}/messages?since= (nothing new)" \
  "/api/chat/$MSG_CONV_ID/messages?since=$MSG_LAST_ID" "$BENCH_TOKEN"
bench_get "GET /api/notifications" "/api/notifications" "$BENCH_TOKEN"
