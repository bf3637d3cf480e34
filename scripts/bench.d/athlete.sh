# shellcheck shell=bash
# Athlete-side scenarios (issues 3 and 4): a course's page, the nearby search
# of the mobile QR page, and a course's ranking. Sourced by scripts/bench.sh
# after the seed; see bench_get / bench_sql there.
#
# The course is the most ranked one of the seed (seed-bench skews popularity),
# so the ranking scenario reads the largest ranking of the database.

ATHLETE_COURSE_ID="$(bench_sql "SELECT produit_id FROM classements GROUP BY produit_id ORDER BY COUNT(*) DESC, produit_id LIMIT 1")"
[[ -n "$ATHLETE_COURSE_ID" ]] || ATHLETE_COURSE_ID="$(bench_sql "SELECT MIN(id) FROM produits")"
[[ -n "$ATHLETE_COURSE_ID" && "$ATHLETE_COURSE_ID" != NULL ]] || mk_die "bench.d/athlete.sh: no course in the bench database"

bench_get "GET /api/parcours/{id}" "/api/parcours/$ATHLETE_COURSE_ID"
bench_get "GET /api/parcours/nearby 50km" "/api/parcours/nearby?lat=44.8&lng=6.7&radius_km=50"
bench_get "GET /api/parcours/{id}/classement" "/api/parcours/$ATHLETE_COURSE_ID/classement"
