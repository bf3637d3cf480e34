#!/usr/bin/env python3
"""Fake Strava for the MyKollector test suite and demo (Python 3 standard library only).

Speaks the wire format of shared/integrations.md sections 1-2 on 127.0.0.1:

OAuth (base URL = STRAVA_OAUTH_URL, i.e. http://127.0.0.1:PORT/oauth)
  GET  /oauth/authorize     client_id, redirect_uri, response_type=code, scope, state,
                            approval_prompt -> 302 to redirect_uri?state=..&code=..&scope=<granted>
                            or ?state=..&error=access_denied. The athlete "clicks" through
                            test-only parameters: _athlete=<id> (default: a new one),
                            _grant=<scopes actually granted> (default: the asked scope),
                            _deny=1 (refuse).
  POST /oauth/token         grant_type=authorization_code (code single use) or refresh_token.
                            Answer: token_type, expires_at, expires_in, refresh_token,
                            access_token (+ athlete on exchange). A refresh returns the same
                            access token while it has more than 1 h left, else a new one, and
                            ALWAYS rotates the refresh token: the old one dies at once.
  POST /oauth/deauthorize   access_token -> every token of the athlete dies (later calls 401).
API (base URL = STRAVA_API_URL, i.e. http://127.0.0.1:PORT/api/v3), Bearer token
  GET  /api/v3/athlete/activities?page=&per_page=     SummaryActivity list, newest first,
                            map.summary_polyline (Google polyline, precision 5)
  GET  /api/v3/activities/{id}                        DetailedActivity (map.polyline too)
  GET  /api/v3/activities/{id}/streams?keys=..&key_by_type=true   {latlng:{data,..}, time:{..}}
  POST /api/v3/push_subscriptions   client_id, client_secret, callback_url, verify_token (form):
                            first GETs callback_url?hub.mode=subscribe&hub.challenge=..&hub.verify_token=..
                            and wants 200 + {"hub.challenge": same} within 2 s, then {"id": n}.
                            One subscription per application ("already exists").
  GET  /api/v3/push_subscriptions?client_id=..&client_secret=..   list
  DELETE /api/v3/push_subscriptions/{id}?client_id=..&client_secret=..   204
Every API answer carries X-RateLimit-Limit/-Usage and X-ReadRateLimit-Limit/-Usage
("15min,daily"); over the limit -> 429 "Rate Limit Exceeded".

Control API for tests (JSON), not part of Strava:
  POST /_control/athletes/{id}/activities  {name, sport_type, start_date, elapsed_time,
        total_elevation_gain, distance, latlng: [[lat,lng]..], time: [s..], trainer,
        streams: true|false, private_to_owner: true|false} -> {"id": activity_id}
  POST /_control/athletes/{id}/expire      the current access token expires in 30 s
  GET  /_control/athletes/{id}             tokens, expiry, deauthorized, counters
  POST /_control/rate_limit                {"throttle": n} next n API calls answer 429;
        {"usage_15min": u, "limit_15min": l} sets the reported usage; {"reset": true}
  GET  /_control/stats                     calls per endpoint

Usage: fake_strava.py --client-id ID --client-secret S [--port 0] [--ready-file F]
"""

import argparse
import itertools
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.RLock()
IDS = itertools.count(1_000_001)
STATE = {
    "codes": {},  # code -> (athlete, scope)
    "access": {},  # token -> {"athlete", "expires_at"}
    "refresh": {},  # token -> athlete
    "athletes": {},  # id -> dict
    "activities": {},  # id -> dict (with "_owner", "_latlng", "_time")
    "subscription": None,
    "rate": {"limit_15": 200, "limit_day": 2000, "usage_15": 0, "usage_day": 0,
             "window": 0, "throttle": 0},
    "stats": {},
}
ACCESS_TTL = 21600


def encode_polyline(points):
    """Google encoded polyline, precision 5 (shared/integrations.md section 2)."""
    out, prev_lat, prev_lng = [], 0, 0
    for lat, lng in points:
        ilat, ilng = round(lat * 1e5), round(lng * 1e5)
        for delta in (ilat - prev_lat, ilng - prev_lng):
            v = ~(delta << 1) if delta < 0 else delta << 1
            while v >= 0x20:
                out.append(chr((0x20 | (v & 0x1F)) + 63))
                v >>= 5
            out.append(chr(v + 63))
        prev_lat, prev_lng = ilat, ilng
    return "".join(out)


def athlete(aid):
    return STATE["athletes"].setdefault(aid, {
        "id": aid, "access": None, "refresh": None, "deauthorized": False,
        "refreshes": 0, "exchanges": 0})


def issue_tokens(aid, keep_access=None):
    a = athlete(aid)
    if keep_access is None:
        access = secrets.token_hex(20)
        STATE["access"][access] = {"athlete": aid, "expires_at": int(time.time()) + ACCESS_TTL}
        a["access"] = access
    refresh = secrets.token_hex(20)
    if a["refresh"]:
        STATE["refresh"].pop(a["refresh"], None)  # the old refresh token dies at once
    STATE["refresh"][refresh] = aid
    a["refresh"] = refresh
    a["deauthorized"] = False
    return {"token_type": "Bearer", "access_token": a["access"], "refresh_token": refresh,
            "expires_at": STATE["access"][a["access"]]["expires_at"],
            "expires_in": STATE["access"][a["access"]]["expires_at"] - int(time.time())}


def summary(act, detailed=False):
    out = {k: v for k, v in act.items() if not k.startswith("_")}
    poly = encode_polyline(act["_latlng"]) if act["_latlng"] else ""
    out["map"] = {"id": f"a{act['id']}", "summary_polyline": poly, "resource_state": 3 if detailed else 2}
    if detailed:
        out["map"]["polyline"] = poly
        out["description"] = ""
        out["segment_efforts"] = []
    out["resource_state"] = 3 if detailed else 2
    return out


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeStrava/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-strava: " + (fmt % args) + "\n")

    # --- plumbing ---------------------------------------------------------
    def params(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if body and "application/x-www-form-urlencoded" in ctype:
            q.update(dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)))
        return url.path, q, body

    def reply(self, status, obj=None, headers=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if obj is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def rate_headers(self):
        r = STATE["rate"]
        usage = f"{r['usage_15']},{r['usage_day']}"
        limit = f"{r['limit_15']},{r['limit_day']}"
        return {"X-RateLimit-Limit": limit, "X-RateLimit-Usage": usage,
                "X-ReadRateLimit-Limit": limit, "X-ReadRateLimit-Usage": usage}

    def count_call(self):
        """Counts an API call; True when it must be answered 429."""
        r = STATE["rate"]
        window = int(time.time()) // 900
        if window != r["window"]:
            r["window"], r["usage_15"] = window, 0
        r["usage_15"] += 1
        r["usage_day"] += 1
        if r["throttle"] > 0:
            r["throttle"] -= 1
            r["usage_15"] = max(r["usage_15"], r["limit_15"] + 1)
            return True
        return r["usage_15"] > r["limit_15"] or r["usage_day"] > r["limit_day"]

    def bearer(self, q):
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else q.get("access_token", "")
        t = STATE["access"].get(token)
        if not t or t["expires_at"] <= time.time():
            return None
        return t["athlete"]

    def unauthorized(self):
        self.reply(401, {"message": "Authorization Error", "errors": [
            {"resource": "Athlete", "field": "access_token", "code": "invalid"}]}, self.rate_headers())

    def stat(self, name):
        STATE["stats"][name] = STATE["stats"].get(name, 0) + 1

    # --- verbs --------------------------------------------------------------
    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        path, q, body = self.params()
        with LOCK:
            if path.startswith("/_control/"):
                return self.control(method, path, q, body)
            if path == "/oauth/authorize" and method == "GET":
                return self.authorize(q)
            if path in ("/oauth/token", "/api/v3/oauth/token") and method == "POST":
                return self.token(q)
            if path == "/oauth/deauthorize" and method == "POST":
                return self.deauthorize(q)
            if path == "/api/v3/push_subscriptions":
                if method == "POST":
                    return self.subscribe(q)
                return self.list_subscriptions(q)
            if path.startswith("/api/v3/push_subscriptions/") and method == "DELETE":
                return self.unsubscribe(q, path)
            if path.startswith("/api/v3/") and method == "GET":
                return self.api_get(path, q)
        self.reply(404, {"message": "Record Not Found", "errors": [
            {"resource": "Path", "field": "path", "code": "invalid"}]})

    def authorize(self, q):
        if q.get("client_id") != ARGS.client_id or q.get("response_type") != "code" or not q.get("redirect_uri"):
            return self.reply(400, {"message": "Bad Request", "errors": [
                {"resource": "Application", "field": "client_id", "code": "invalid"}]})
        sep = "&" if "?" in q["redirect_uri"] else "?"
        state = q.get("state", "")
        if q.get("_deny"):
            target = q["redirect_uri"] + sep + urllib.parse.urlencode({"state": state, "error": "access_denied"})
        else:
            aid = int(q.get("_athlete") or next(IDS))
            granted = q.get("_grant", q.get("scope", "read"))
            code = secrets.token_hex(20)
            STATE["codes"][code] = (aid, granted)
            target = q["redirect_uri"] + sep + urllib.parse.urlencode(
                {"state": state, "code": code, "scope": granted})
        self.stat("authorize")
        self.reply(302, None, {"Location": target})

    def token(self, q):
        self.stat("token:" + q.get("grant_type", "?"))
        if q.get("client_id") != ARGS.client_id or q.get("client_secret") != ARGS.client_secret:
            return self.reply(401, {"message": "Bad Request", "errors": [
                {"resource": "Application", "field": "client_id", "code": "invalid"}]})
        if q.get("grant_type") == "authorization_code":
            found = STATE["codes"].pop(q.get("code", ""), None)  # single use
            if not found:
                return self.reply(400, {"message": "Bad Request", "errors": [
                    {"resource": "AuthorizationCode", "field": "code", "code": "invalid"}]})
            aid, _scope = found
            athlete(aid)["exchanges"] += 1
            out = issue_tokens(aid)
            out["athlete"] = {"id": aid, "username": f"athlete{aid}", "resource_state": 2,
                              "firstname": "Camille", "lastname": "Test"}
            return self.reply(200, out)
        if q.get("grant_type") == "refresh_token":
            aid = STATE["refresh"].get(q.get("refresh_token", ""))
            if aid is None:
                return self.reply(400, {"message": "Bad Request", "errors": [
                    {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}]})
            a = athlete(aid)
            a["refreshes"] += 1
            current = STATE["access"].get(a["access"] or "")
            keep = current and current["expires_at"] - time.time() > 3600
            return self.reply(200, issue_tokens(aid, keep_access=a["access"] if keep else None))
        self.reply(400, {"message": "Bad Request", "errors": [
            {"resource": "Application", "field": "grant_type", "code": "invalid"}]})

    def deauthorize(self, q):
        self.stat("deauthorize")
        aid = self.bearer(q)
        if aid is None:
            return self.unauthorized()
        a = athlete(aid)
        for t in [t for t, v in STATE["access"].items() if v["athlete"] == aid]:
            del STATE["access"][t]
        for t in [t for t, v in STATE["refresh"].items() if v == aid]:
            del STATE["refresh"][t]
        a["deauthorized"] = True
        self.reply(200, {"access_token": q.get("access_token", "")})

    def api_get(self, path, q):
        aid = self.bearer(q)
        if aid is None:
            return self.unauthorized()
        if self.count_call():
            return self.reply(429, {"message": "Rate Limit Exceeded", "errors": [
                {"resource": "Application", "field": "rate limit", "code": "exceeded"}]}, self.rate_headers())
        parts = path.split("/")[3:]  # after /api/v3
        if parts == ["athlete", "activities"]:
            self.stat("activities")
            page, per_page = int(q.get("page") or 1), min(int(q.get("per_page") or 30), 200)
            mine = sorted((a for a in STATE["activities"].values() if a["_owner"] == aid),
                          key=lambda a: (a["start_date"], a["id"]), reverse=True)
            chunk = mine[(page - 1) * per_page: page * per_page]
            return self.reply(200, [summary(a) for a in chunk], self.rate_headers())
        if len(parts) >= 2 and parts[0] == "activities" and parts[1].isdigit():
            act = STATE["activities"].get(int(parts[1]))
            # Others' activities are visible unless private, as on Strava.
            if act is None or (act["_owner"] != aid and act["_private"]):
                return self.reply(404, {"message": "Record Not Found", "errors": [
                    {"resource": "Activity", "field": "id", "code": "invalid"}]}, self.rate_headers())
            if len(parts) == 2:
                self.stat("activity")
                return self.reply(200, summary(act, detailed=True), self.rate_headers())
            if parts[2:] == ["streams"]:
                self.stat("streams")
                if q.get("key_by_type") != "true":
                    return self.reply(400, {"message": "Bad Request", "errors": [
                        {"resource": "Stream", "field": "key_by_type", "code": "must be true"}]})
                if not act["_streams"] or not act["_latlng"]:
                    return self.reply(404, {"message": "Record Not Found", "errors": [
                        {"resource": "Activity", "field": "streams", "code": "invalid"}]}, self.rate_headers())
                keys = set((q.get("keys") or "").split(","))
                n = len(act["_latlng"])
                out = {}
                if "latlng" in keys:
                    out["latlng"] = {"data": act["_latlng"], "series_type": "distance",
                                     "original_size": n, "resolution": "high"}
                if "time" in keys:
                    out["time"] = {"data": act["_time"], "series_type": "distance",
                                   "original_size": n, "resolution": "high"}
                out["distance"] = {"data": [0.0] * n, "series_type": "distance",
                                   "original_size": n, "resolution": "high"}
                return self.reply(200, out, self.rate_headers())
        self.reply(404, {"message": "Record Not Found", "errors": []}, self.rate_headers())

    def app_ok(self, q):
        return q.get("client_id") == ARGS.client_id and q.get("client_secret") == ARGS.client_secret

    def subscribe(self, q):
        self.stat("subscribe")
        if not self.app_ok(q):
            return self.reply(401, {"message": "Authorization Error", "errors": []})
        if STATE["subscription"]:
            return self.reply(400, {"message": "Bad Request", "errors": [
                {"resource": "PushSubscription", "field": "", "code": "already exists"}]})
        challenge = secrets.token_hex(8)
        url = q.get("callback_url", "")
        sep = "&" if "?" in url else "?"
        check = url + sep + urllib.parse.urlencode({
            "hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": q.get("verify_token", "")})
        ok = False
        LOCK.release()  # the callback may call us back; do not hold the lock over the network
        try:
            with urllib.request.urlopen(check, timeout=2) as resp:
                ok = resp.status == 200 and json.loads(resp.read()).get("hub.challenge") == challenge
        except (urllib.error.URLError, ValueError, OSError):
            ok = False
        finally:
            LOCK.acquire()
        if not ok:
            return self.reply(400, {"message": "Bad Request", "errors": [
                {"resource": "PushSubscription", "field": "callback url",
                 "code": "GET to callback URL does not return 200"}]})
        if STATE["subscription"]:  # lost a race while the lock was released
            return self.reply(400, {"message": "Bad Request", "errors": [
                {"resource": "PushSubscription", "field": "", "code": "already exists"}]})
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        STATE["subscription"] = {"id": next(IDS), "resource_state": 2, "application_id": int(ARGS.client_id),
                                 "callback_url": url, "created_at": now, "updated_at": now}
        self.reply(201, {"id": STATE["subscription"]["id"]})

    def list_subscriptions(self, q):
        if not self.app_ok(q):
            return self.reply(401, {"message": "Authorization Error", "errors": []})
        self.reply(200, [STATE["subscription"]] if STATE["subscription"] else [])

    def unsubscribe(self, q, path):
        if not self.app_ok(q):
            return self.reply(401, {"message": "Authorization Error", "errors": []})
        sub = STATE["subscription"]
        if not sub or str(sub["id"]) != path.rsplit("/", 1)[-1]:
            return self.reply(404, {"message": "Record Not Found", "errors": []})
        STATE["subscription"] = None
        self.reply(204)

    # --- control API ----------------------------------------------------------
    def control(self, method, path, q, body):
        data = json.loads(body or b"{}") if body else {}
        parts = path.split("/")[2:]
        if parts[:1] == ["athletes"] and len(parts) >= 2 and parts[1].isdigit():
            aid = int(parts[1])
            a = athlete(aid)
            if parts[2:] == ["activities"] and method == "POST":
                return self.reply(201, {"id": self.add_activity(aid, data)})
            if parts[2:] == ["expire"] and method == "POST":
                t = STATE["access"].get(a["access"] or "")
                if t:
                    t["expires_at"] = int(time.time()) + 30
                return self.reply(200, {"expires_at": t and t["expires_at"]})
            if parts[2:] == [] and method == "GET":
                t = STATE["access"].get(a["access"] or "")
                return self.reply(200, {"id": aid, "access_token": a["access"], "refresh_token": a["refresh"],
                                        "access_valid": bool(t), "expires_at": t and t["expires_at"],
                                        "deauthorized": a["deauthorized"], "refreshes": a["refreshes"],
                                        "exchanges": a["exchanges"]})
        if parts == ["rate_limit"] and method == "POST":
            r = STATE["rate"]
            if data.get("reset"):
                r.update(usage_15=0, usage_day=0, throttle=0, limit_15=200, limit_day=2000)
            r["window"] = int(time.time()) // 900
            r["throttle"] = int(data.get("throttle", r["throttle"]))
            for k_in, k in (("usage_15min", "usage_15"), ("limit_15min", "limit_15"),
                            ("usage_daily", "usage_day"), ("limit_daily", "limit_day")):
                if k_in in data:
                    r[k] = int(data[k_in])
            return self.reply(200, dict(r))
        if parts == ["stats"] and method == "GET":
            return self.reply(200, STATE["stats"])
        self.reply(404, {"error": "unknown control path"})

    def add_activity(self, aid, d):
        act_id = next(IDS)
        latlng = [[float(p[0]), float(p[1])] for p in d.get("latlng", [])]
        times = [int(t) for t in d.get("time", [])] or list(range(0, 10 * len(latlng), 10))
        start = d.get("start_date", "2026-07-14T06:00:00Z")
        STATE["activities"][act_id] = {
            "id": act_id, "resource_state": 2, "external_id": f"fake-{act_id}.fit", "upload_id": act_id,
            "athlete": {"id": aid, "resource_state": 1},
            "name": d.get("name", "Sortie"), "distance": float(d.get("distance", 0.0)),
            "moving_time": int(d.get("elapsed_time", 3600)), "elapsed_time": int(d.get("elapsed_time", 3600)),
            "total_elevation_gain": float(d.get("total_elevation_gain", 0.0)),
            "type": d.get("sport_type", "Ride"), "sport_type": d.get("sport_type", "Ride"),
            "start_date": start, "start_date_local": d.get("start_date_local", start),
            "timezone": "(GMT+01:00) Europe/Paris", "utc_offset": 7200.0,
            "start_latlng": latlng[0] if latlng else [], "end_latlng": latlng[-1] if latlng else [],
            "trainer": bool(d.get("trainer", False)), "commute": False, "manual": not latlng,
            "private": bool(d.get("private_to_owner", False)), "device_name": "Fake GPS",
            "_owner": aid, "_latlng": latlng, "_time": times,
            "_streams": bool(d.get("streams", True)), "_private": bool(d.get("private_to_owner", False)),
        }
        return act_id


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--ready-file", help="written with the port number once listening")
    ARGS = p.parse_args()
    server = ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    print(f"PORT {port}", flush=True)
    if ARGS.ready_file:
        with open(ARGS.ready_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(ARGS.ready_file + ".tmp", ARGS.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


ARGS = None
if __name__ == "__main__":
    main()
