# shellcheck shell=bash
# Sourced by scripts/bench.sh after the seed (issue 8): the PrestaShop import
# of 1,000 paid orders from the fake shop, through `mk-admin cron hourly` (the
# line an OVH cron panel runs), with the time of each task and the number of
# requests the shop received. Not a wrk scenario: it runs once, here.
# MK_BENCH_SKIP_SHOP=1 skips it; MK_BENCH_SHOP_ORDERS changes the volume.

if [[ "${MK_BENCH_SKIP_SHOP:-0}" != 1 ]]; then
  # shellcheck source=../lib/prestashop.sh
  source "$MK_REPO_ROOT/scripts/lib/prestashop.sh"
  mk_section "shop: import of ${MK_BENCH_SHOP_ORDERS:-1000} paid orders (mk-admin cron hourly)"
  shop_key="$(mk_random_hex 16)"
  mk_shop_start "$RUN/fake-prestashop.log" "$shop_key" bench-client "$(mk_random_hex 16)"
  {
    echo "PRESTASHOP_URL=$MK_SHOP_URL"
    echo "PRESTASHOP_WEBSERVICE_KEY=$shop_key"
  } >>"$ENV_FILE"
  shop_code="$(bench_sql "SELECT code FROM produits ORDER BY id LIMIT 1")"
  shop_post() {
    curl -fsS --max-time 120 -X POST "$MK_SHOP_URL/_control/$1" -H 'Content-Type: application/json' -d "$2"
  }
  shop_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
  shop_product="$(shop_post product "{\"parcours\": \"$shop_code\"}" | shop_id)"
  shop_customer="$(shop_post customer '{"email": "bench.client@mykollector.test", "firstname": "Bench", "lastname": "Client", "group": 3}' | shop_id)"
  shop_post orders_bulk "{\"n\": ${MK_BENCH_SHOP_ORDERS:-1000}, \"customer\": $shop_customer, \"product\": $shop_product}" >/dev/null
  shop_post stats/reset '{}' >/dev/null
  shop_start=$(date +%s%N)
  "$BIN_ADMIN" --env-file "$ENV_FILE" cron hourly >"$RUN/bench-shop-cron.txt" 2>&1 || true
  shop_ms=$((($(date +%s%N) - shop_start) / 1000000))
  shop_requests="$(curl -fsS "$MK_SHOP_URL/_control/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')"
  shop_rerun_start=$(date +%s%N)
  shop_post stats/reset '{}' >/dev/null
  "$BIN_ADMIN" --env-file "$ENV_FILE" cron hourly >"$RUN/bench-shop-cron2.txt" 2>&1 || true
  shop_rerun_ms=$((($(date +%s%N) - shop_rerun_start) / 1000000))
  shop_rerun_requests="$(curl -fsS "$MK_SHOP_URL/_control/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')"
  {
    echo "==== shop: mk-admin cron hourly, ${MK_BENCH_SHOP_ORDERS:-1000} paid orders in the fake PrestaShop ===="
    echo "first run (imports): ${shop_ms} ms, ${shop_requests} request(s) to the shop"
    sed 's/^/  /' "$RUN/bench-shop-cron.txt"
    echo "second run (nothing new): ${shop_rerun_ms} ms, ${shop_rerun_requests} request(s) to the shop"
    sed 's/^/  /' "$RUN/bench-shop-cron2.txt"
  } | tee "$RUN/bench-shop.txt"
fi
