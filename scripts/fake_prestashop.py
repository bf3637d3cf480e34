#!/usr/bin/env python3
"""Fake PrestaShop for the MyKollector tests and demo (Python 3 standard library only).

Speaks the wire format of ../shared/integrations.md §3-4, not our client's wishes:

Webservice  /api/...
  - HTTP Basic auth, the key as user name and an empty password (or ?ws_key=);
    a bad key is 401, a resource or method the key may not use is 401 with
    error code 23 "Resource of type ... is not allowed with this authentication key".
  - GET /api/ lists the permitted resources as XML, one attribute per method.
  - JSON output with output_format=JSON / io_format=JSON (or Output-Format header):
    lists are {"orders": [...]}, single records {"order": {...}}; ids are JSON
    numbers, every other scalar a string; an empty list is a bare [] (as
    several versions do) unless switched off.
  - display=full | display=[a,b]; filter[field]=[v] [a|b] >[v] <[v] (or plain v);
    sort=[field_ASC|field_DESC]; limit=n | limit=offset,n.
  - Writes take XML only: a JSON body is refused (400, error code 127 "String
    could not be parsed as XML"). POST order_histories (sets the order's
    current_state), PATCH/PUT order_carriers/{id}, POST product_features,
    POST product_feature_values, PATCH products/{id}. ps_method= overrides.
Admin API  /admin-api/...
  - POST /admin-api/access_token (form: grant_type=client_credentials,
    client_id, client_secret, scope[]=... or space-separated scope) ->
    {"token_type":"Bearer","expires_in":N,"access_token":"..."}; invalid_client
    401, invalid_scope 400. Bearer calls: GET /admin-api/products (paginated
    {"totalItems","items"}), POST /admin-api/products, PATCH /admin-api/products/{id}.

Control API for tests  /_control/...  (no auth, loopback only)
  POST customer {email, firstname, lastname, company, group}       -> {id}
  POST product  {name, parcours, fabricant}                        -> {id}
  POST order    {customer, rows:[{product, quantity}], state, address} -> {id, rows}
  POST orders_bulk {n, customer, product, state}                   -> {first_id, last_id}
  POST switch   {fail: n (next n calls 503, -1 always, 0 off), timeout: s,
                 deny: ["order_histories:POST", ...], bare_empty: bool}
  GET  order/{id} -> {current_state, histories:[{id_order_state}], tracking_number}
  GET  stats -> {requests}          POST stats/reset
Every non-control request is counted (the bench reports it).

Usage: fake_prestashop.py --key KEY [--client-id ID --client-secret S]
       [--scopes "a b"] [--lifetime 3600] [--first-id 100] [--port 0] [--ready-file F]
"""

import argparse
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SINGULAR = {
    "orders": "order", "customers": "customer", "addresses": "address",
    "products": "product", "product_features": "product_feature",
    "product_feature_values": "product_feature_value", "order_states": "order_state",
    "groups": "group", "order_histories": "order_history", "order_carriers": "order_carrier",
}
METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]


class Shop:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.key = args.key
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.allowed_scopes = set((args.scopes or "").split())
        self.lifetime = args.lifetime
        self.tokens = {}
        self.switch = {"fail": 0, "timeout": 0, "deny": [], "bare_empty": True}
        self.requests = 0
        self.seq = args.first_id
        self.data = {name: {} for name in SINGULAR}
        for sid, name in [(1, "En attente de paiement par chèque"), (2, "Paiement accepté"),
                          (3, "En cours de préparation"), (4, "Expédié"), (5, "Livré"),
                          (6, "Annulé"), (24, "En gravure")]:
            self.data["order_states"][sid] = {"id": sid, "name": [{"id": "1", "value": name}]}
        for gid, name in [(1, "Visiteur"), (2, "Invité"), (3, "Client"), (4, "Professionnels")]:
            self.data["groups"][gid] = {"id": gid, "name": [{"id": "1", "value": name}]}
        for fid, name in [(1, "mko_parcours_id"), (2, "mko_fabricant_id"), (3, "Couleur")]:
            self.data["product_features"][fid] = {"id": fid, "position": str(fid), "name": [{"id": "1", "value": name}]}

    def next_id(self):
        self.seq += 1
        return self.seq

    # -- records -------------------------------------------------------------
    def add_value(self, feature, value):
        vid = self.next_id()
        self.data["product_feature_values"][vid] = {
            "id": vid, "id_feature": str(feature), "custom": "1", "value": [{"id": "1", "value": str(value)}]}
        return vid

    def add_customer(self, body):
        cid = self.next_id()
        group = int(body.get("group", 3))
        self.data["customers"][cid] = {
            "id": cid, "id_default_group": str(group), "id_lang": "1", "email": body["email"],
            "firstname": body.get("firstname", ""), "lastname": body.get("lastname", ""),
            "company": body.get("company", ""), "active": "1", "is_guest": "0",
            "associations": {"groups": [{"id": str(group)}]}}
        return cid

    def add_product(self, body):
        pid = self.next_id()
        features = []
        if body.get("parcours") not in (None, ""):
            features.append({"id": "1", "id_feature_value": str(self.add_value(1, body["parcours"]))})
        if body.get("fabricant") not in (None, ""):
            features.append({"id": "2", "id_feature_value": str(self.add_value(2, body["fabricant"]))})
        self.data["products"][pid] = {
            "id": pid, "reference": f"MED-{pid}", "price": "39.000000", "active": "1",
            "name": [{"id": "1", "value": body.get("name", f"Médaille {pid}")}],
            "associations": {"product_features": features}}
        return pid

    def add_order(self, body):
        oid = self.next_id()
        customer = int(body["customer"])
        addr = body.get("address") or {}
        aid = self.next_id()
        c = self.data["customers"].get(customer, {})
        self.data["addresses"][aid] = {
            "id": aid, "id_customer": str(customer), "id_country": "8", "alias": "Domicile",
            "company": addr.get("company", c.get("company", "")),
            "lastname": addr.get("lastname", c.get("lastname", "")),
            "firstname": addr.get("firstname", c.get("firstname", "")),
            "address1": addr.get("address1", "12 rue du Col"), "address2": addr.get("address2", ""),
            "postcode": addr.get("postcode", "05100"), "city": addr.get("city", "Briançon"),
            "phone": "", "phone_mobile": addr.get("phone_mobile", "0600000000")}
        rows = []
        for r in body.get("rows", []):
            rid = self.next_id()
            p = self.data["products"].get(int(r["product"]), {})
            rows.append({"id": str(rid), "product_id": str(r["product"]), "product_attribute_id": "0",
                         "product_quantity": str(r.get("quantity", 1)),
                         "product_name": (p.get("name") or [{"value": ""}])[0]["value"],
                         "product_reference": p.get("reference", ""), "product_price": "39.000000",
                         "unit_price_tax_incl": "39.000000", "unit_price_tax_excl": "32.500000"})
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        self.data["orders"][oid] = {
            "id": oid, "id_address_delivery": str(aid), "id_address_invoice": str(aid), "id_cart": str(oid),
            "id_currency": "1", "id_lang": "1", "id_customer": str(customer), "id_carrier": "2",
            "current_state": str(body.get("state", 2)), "module": "ps_checkpayment", "payment": "Chèque",
            "reference": "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(9)),
            "total_paid": "39.000000", "shipping_number": "", "date_add": now, "date_upd": now,
            "associations": {"order_rows": rows}}
        ocid = self.next_id()
        self.data["order_carriers"][ocid] = {
            "id": ocid, "id_order": str(oid), "id_carrier": "2", "id_order_invoice": "0",
            "weight": "0.100000", "shipping_cost_tax_excl": "5.000000", "shipping_cost_tax_incl": "6.000000",
            "tracking_number": "", "date_add": now}
        return oid, [int(r["id"]) for r in rows]


def parse_filter(raw):
    """A Webservice filter value -> predicate on the field's text."""
    m = re.fullmatch(r"([<>])\[(.*)\]", raw)
    if m:
        op, v = m.groups()
        def cmp(x):
            try:
                a, b = float(x), float(v)
            except ValueError:
                a, b = x, v
            return a > b if op == ">" else a < b
        return cmp
    m = re.fullmatch(r"\[(.*)\]", raw)
    if m:
        inner = m.group(1)
        if "," in inner and "|" not in inner:
            lo, hi = inner.split(",", 1)
            return lambda x: float(lo) <= float(x or 0) <= float(hi)
        options = set(inner.split("|"))
        return lambda x: x in options
    return lambda x: x == raw


def xml_fields(body):
    """<prestashop><thing>...</thing></prestashop> -> (tag, {field: text}) or raises."""
    root = ET.fromstring(body)
    item = list(root)[0]
    fields = {}
    for child in item:
        if child.tag == "associations":
            fields["associations"] = child
        elif len(child):
            fields[child.tag] = (child[0].text or "").strip()
        else:
            fields[child.tag] = (child.text or "").strip()
    return item.tag, fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    # -- plumbing ----------------------------------------------------------------
    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else (
            json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def ws_error(self, status, code, message):
        self.reply(status, {"errors": [{"code": code, "message": message}]})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        body = self.body()
        shop = self.server.shop
        if url.path.startswith("/_control/"):
            return self.control(method, url.path[len("/_control/"):], body)
        with shop.lock:
            shop.requests += 1
            sw = dict(shop.switch)
            if sw["fail"]:
                if shop.switch["fail"] > 0:
                    shop.switch["fail"] -= 1
                fail = True
            else:
                fail = False
        if sw["timeout"]:
            time.sleep(sw["timeout"])
        if fail:
            return self.reply(503, "<html><body><h1>Service Unavailable</h1></body></html>", "text/html")
        if url.path.startswith("/admin-api/"):
            return self.admin(method, url.path[len("/admin-api/"):], query, body)
        if url.path == "/api" or url.path.startswith("/api/"):
            method = query.get("ps_method", method).upper()
            return self.webservice(method, url.path[len("/api"):].strip("/"), query, body)
        self.reply(404, "<html>Not Found</html>", "text/html")

    # -- Webservice --------------------------------------------------------------
    def authorized_key(self, query):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except Exception:
                return None
            return user
        return query.get("ws_key")

    def webservice(self, method, path, query, body):
        shop = self.server.shop
        key = self.authorized_key(query)
        if not key:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required."')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if key != shop.key:
            return self.ws_error(401, 18, "Invalid authentication key format")
        parts = [p for p in path.split("/") if p]
        if not parts:
            return self.listing()
        resource = parts[0]
        if resource not in SINGULAR:
            return self.ws_error(400, 22, f'Resource of type "{resource}" does not exists')
        if f"{resource}:{method}" in shop.switch["deny"]:
            return self.ws_error(401, 23, f'Resource of type "{resource}" is not allowed with this authentication key')
        json_out = "JSON" in (query.get("output_format", "") + query.get("io_format", "")
                              + self.headers.get("Output-Format", "") + self.headers.get("Io-Format", "")).upper()
        if method == "GET":
            if not json_out:
                return self.reply(200, "<?xml version=\"1.0\"?><prestashop/>", "text/xml")
            return self.ws_get(resource, parts[1] if len(parts) > 1 else None, query)
        if body.strip().startswith(b"{") or body.strip().startswith(b"["):
            return self.ws_error(400, 127, "XML error : String could not be parsed as XML")
        try:
            tag, fields = xml_fields(body)
        except Exception:
            return self.ws_error(400, 127, "XML error : String could not be parsed as XML")
        with shop.lock:
            return self.ws_write(method, resource, parts[1] if len(parts) > 1 else None, tag, fields, query)

    def listing(self):
        deny = self.server.shop.switch["deny"]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">', '<api shopName="Fake MyKollector Shop">']
        for resource in SINGULAR:
            attrs = " ".join(f'{m.lower()}="{"false" if f"{resource}:{m}" in deny else "true"}"' for m in METHODS)
            lines.append(f'<{resource} xlink:href="http://shop/api/{resource}" {attrs}>'
                         f'<description xlink:href="http://shop/api/{resource}" {attrs}>{resource}</description>'
                         f'<schema xlink:href="http://shop/api/{resource}?schema=blank" type="blank"/></{resource}>')
        lines += ["</api>", "</prestashop>"]
        self.reply(200, "\n".join(lines), "text/xml;charset=utf-8")

    def ws_get(self, resource, rid, query):
        shop = self.server.shop
        with shop.lock:
            records = shop.data[resource]
            if rid is not None:
                rec = records.get(int(rid)) if rid.isdigit() else None
                if rec is None:
                    return self.ws_error(404, 87, f"The {SINGULAR[resource]} with id {rid} does not exist")
                return self.reply(200, {SINGULAR[resource]: rec})
            items = list(records.values())
            for k, v in query.items():
                m = re.fullmatch(r"filter\[(\w+)\]", k)
                if m:
                    pred = parse_filter(v)
                    items = [i for i in items if pred(str(i.get(m.group(1), "")))]
            sort = query.get("sort", "[id_ASC]").strip("[]")
            field, _, direction = sort.rpartition("_")
            items.sort(key=lambda i: (float(i.get(field, 0)) if str(i.get(field, "0")).replace(".", "").isdigit() else str(i.get(field))),
                       reverse=direction == "DESC")
            limit = query.get("limit")
            if limit:
                off, _, n = limit.partition(",")
                off, n = (0, int(off)) if not n else (int(off), int(n))
                items = items[off:off + n]
            display = query.get("display")
            if display == "full":
                out = items
            elif display:
                fields = display.strip("[]").split(",")
                out = [{f: i.get(f) for f in fields if f in i} for i in items]
            else:
                out = [{"id": i["id"]} for i in items]
            if not out and shop.switch["bare_empty"]:
                return self.reply(200, [])
            self.reply(200, {resource: out})

    def ws_write(self, method, resource, rid, tag, fields, query):
        shop = self.server.shop
        if resource == "order_histories" and method == "POST":
            order = shop.data["orders"].get(int(fields.get("id_order") or 0))
            if not order or not fields.get("id_order_state"):
                return self.ws_error(400, 41, "id_order and id_order_state are required")
            hid = shop.next_id()
            rec = {"id": hid, "id_order": fields["id_order"], "id_order_state": fields["id_order_state"],
                   "id_employee": "0", "date_add": time.strftime("%Y-%m-%d %H:%M:%S"),
                   "sendemail": query.get("sendemail", "0")}
            shop.data["order_histories"][hid] = rec
            order["current_state"] = fields["id_order_state"]
            return self.reply(201, {"order_history": rec})
        if resource == "order_carriers" and method in ("PATCH", "PUT") and rid:
            rec = shop.data["order_carriers"].get(int(rid))
            if rec is None:
                return self.ws_error(404, 87, f"The order_carrier with id {rid} does not exist")
            if method == "PUT" and not fields.get("id_carrier"):
                return self.ws_error(400, 41, "id_order and id_carrier are required")
            for k in ("tracking_number", "weight", "id_carrier"):
                if k in fields:
                    rec[k] = fields[k]
            return self.reply(200, {"order_carrier": rec})
        if resource == "product_features" and method == "POST":
            fid = shop.next_id()
            shop.data["product_features"][fid] = {"id": fid, "position": "0", "name": [{"id": "1", "value": fields.get("name", "")}]}
            return self.reply(201, {"product_feature": shop.data["product_features"][fid]})
        if resource == "product_feature_values" and method == "POST":
            vid = shop.add_value(fields.get("id_feature", "0"), fields.get("value", ""))
            return self.reply(201, {"product_feature_value": shop.data["product_feature_values"][vid]})
        if resource == "products" and method == "PATCH" and rid:
            rec = shop.data["products"].get(int(rid))
            if rec is None:
                return self.ws_error(404, 87, f"The product with id {rid} does not exist")
            assoc = fields.get("associations")
            if assoc is not None:
                pf = assoc.find("product_features")
                if pf is not None:
                    rec["associations"]["product_features"] = [
                        {"id": (x.findtext("id") or "").strip(), "id_feature_value": (x.findtext("id_feature_value") or "").strip()}
                        for x in pf]
            return self.reply(200, {"product": rec})
        return self.ws_error(405, 3, f"Method {method} is not allowed for {resource}")

    # -- Admin API ---------------------------------------------------------------
    def admin(self, method, path, query, body):
        shop = self.server.shop
        if path == "access_token" and method == "POST":
            form = parse_qsl(body.decode(), keep_blank_values=True)
            f = dict(form)
            scopes = [v for k, v in form if k == "scope[]"] + f.get("scope", "").split()
            if f.get("grant_type") != "client_credentials" or f.get("client_id") != shop.client_id \
                    or f.get("client_secret") != shop.client_secret or not shop.client_id:
                return self.reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
            if any(s not in shop.allowed_scopes for s in scopes):
                return self.reply(400, {"error": "invalid_scope", "error_description": "The requested scope is invalid, unknown, or malformed"})
            token = secrets.token_hex(24)
            with shop.lock:
                shop.tokens[token] = (set(scopes), time.time() + shop.lifetime)
            return self.reply(200, {"token_type": "Bearer", "expires_in": shop.lifetime, "access_token": token})
        auth = self.headers.get("Authorization", "")
        grant = shop.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if not grant or grant[1] < time.time():
            return self.reply(401, {"message": "Invalid credentials"})
        scopes = grant[0]
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["products"]:
            return self.reply(404, {"message": "Not Found"})
        need = "product_read" if method == "GET" else "product_write"
        if need not in scopes:
            return self.reply(403, {"message": f"Access Denied: missing scope {need}"})
        with shop.lock:
            if method == "GET" and len(parts) == 1:
                items = [{"productId": p["id"], "name": p["name"][0]["value"], "active": p["active"] == "1"}
                         for p in shop.data["products"].values()]
                limit = int(query.get("limit", 50))
                return self.reply(200, {"totalItems": len(items), "sortOrder": "asc", "limit": limit,
                                        "filters": {}, "orderBy": "productId", "items": items[:limit]})
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return self.reply(400, {"message": "Invalid JSON"})
            name = (payload.get("names") or {}).get("fr-FR")
            if method == "POST" and len(parts) == 1:
                pid = shop.add_product({"name": name})
                return self.reply(201, {"productId": pid, "type": payload.get("type", "standard"), "names": payload.get("names")})
            if method == "PATCH" and len(parts) == 2 and parts[1].isdigit():
                rec = shop.data["products"].get(int(parts[1]))
                if rec is None:
                    return self.reply(404, {"message": "Product not found"})
                if name:
                    rec["name"] = [{"id": "1", "value": name}]
                return self.reply(200, {"productId": rec["id"], "names": {"fr-FR": rec["name"][0]["value"]}})
        return self.reply(405, {"message": "Method Not Allowed"})

    # -- control -------------------------------------------------------------------
    def control(self, method, path, body):
        shop = self.server.shop
        req = json.loads(body or b"{}")
        with shop.lock:
            if method == "POST" and path == "customer":
                return self.reply(201, {"id": shop.add_customer(req)})
            if method == "POST" and path == "product":
                return self.reply(201, {"id": shop.add_product(req)})
            if method == "POST" and path == "order":
                oid, rows = shop.add_order(req)
                return self.reply(201, {"id": oid, "rows": rows})
            if method == "POST" and path == "orders_bulk":
                ids = [shop.add_order({"customer": req["customer"], "state": req.get("state", 2),
                                       "rows": [{"product": req["product"], "quantity": 1}]})[0]
                       for _ in range(int(req["n"]))]
                return self.reply(201, {"first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None})
            if method == "POST" and path == "switch":
                for k in ("fail", "timeout", "deny", "bare_empty"):
                    if k in req:
                        shop.switch[k] = req[k]
                return self.reply(200, shop.switch)
            if method == "GET" and path.startswith("order/"):
                oid = int(path.split("/")[1])
                order = shop.data["orders"].get(oid)
                if order is None:
                    return self.reply(404, {"error": "no such order"})
                hist = [h for h in shop.data["order_histories"].values() if h["id_order"] == str(oid)]
                carrier = next((c for c in shop.data["order_carriers"].values() if c["id_order"] == str(oid)), {})
                return self.reply(200, {"current_state": order["current_state"], "histories": hist,
                                        "tracking_number": carrier.get("tracking_number", "")})
            if method == "GET" and path == "stats":
                return self.reply(200, {"requests": shop.requests})
            if method == "POST" and path == "stats/reset":
                shop.requests = 0
                return self.reply(200, {"requests": 0})
        self.reply(404, {"error": "unknown control path"})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--key", required=True, help="the Webservice key")
    p.add_argument("--client-id", default="")
    p.add_argument("--client-secret", default="")
    p.add_argument("--scopes", default="product_read product_write feature_read feature_value_read",
                   help="scopes the API client may be granted")
    p.add_argument("--lifetime", type=int, default=3600, help="token lifetime (expires_in)")
    p.add_argument("--first-id", type=int, default=100,
                   help="ids start after this (the demo restarts the shop: keep ids new)")
    p.add_argument("--ready-file", help="written with the port number once listening")
    args = p.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.shop = Shop(args)
    port = server.server_address[1]
    print(f"PORT {port}", flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
