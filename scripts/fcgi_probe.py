#!/usr/bin/env python3
"""Drive one FastCGI program the way mod_fcgid does, without Apache.

    fcgi_probe.py [--param K=V]... [--wrapper CMD] N URI PROGRAM

Starts PROGRAM (optionally under a wrapper such as valgrind) with a
listening unix socket on fd 0 and an empty environment, as mod_fcgid does,
then sends it N GET requests for URI, one connection per request (mod_fcgid
does not keep FastCGI connections), each with the CGI parameters Apache
would pass (REQUEST_METHOD, REQUEST_URI, QUERY_STRING, ... plus --param).
Prints one line per request, "<status> <milliseconds>", then stops the
program with SIGTERM (the way mod_fcgid stops an idle process).

Used by scripts/bench.d/warmup.sh (first request vs warm ones) and
scripts/bench.d/fcgi_cost.sh (instructions per warm request under
callgrind, floor and ours).
"""

import argparse
import os
import shlex
import signal
import socket
import struct
import subprocess
import tempfile
import time

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(kind, req_id, content=b""):
    return struct.pack(">BBHHBx", 1, kind, req_id, len(content), 0) + content


def pair(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


def request(path, params):
    body = b"".join(pair(k.encode(), v.encode()) for k, v in params.items())
    msg = record(BEGIN, 1, struct.pack(">HB5x", 1, 0))
    for i in range(0, len(body), 65535):
        msg += record(PARAMS, 1, body[i:i + 65535])
    msg += record(PARAMS, 1) + record(STDIN, 1)
    start = time.perf_counter()
    with socket.socket(socket.AF_UNIX) as s:
        for _ in range(600):
            try:
                s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        s.sendall(msg)
        buf, out = b"", b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            done = False
            while len(buf) >= 8:
                _, kind, _, clen, plen = struct.unpack(">BBHHB", buf[:7])
                if len(buf) < 8 + clen + plen:
                    break
                if kind == STDOUT:
                    out += buf[8:8 + clen]
                elif kind == END:
                    done = True
                buf = buf[8 + clen + plen:]
            if done:
                break
    ms = (time.perf_counter() - start) * 1000
    status = "200"
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n"):
        if line.lower().startswith("status:"):
            status = line.split()[1]
    print(f"{status} {ms:.3f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--wrapper", default="")
    ap.add_argument("n", type=int)
    ap.add_argument("uri")
    ap.add_argument("program")
    a = ap.parse_args()
    path_only, _, query = a.uri.partition("?")
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "Apache",
        "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "REQUEST_METHOD": "GET", "REQUEST_URI": a.uri, "QUERY_STRING": query,
        "SCRIPT_NAME": "/api/mykollector.fcgi", "SCRIPT_FILENAME": a.program,
        "PATH_INFO": path_only, "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1", "HTTP_USER_AGENT": "fcgi_probe", "HTTP_ACCEPT": "*/*",
    }
    for kv in a.param:
        k, _, v = kv.partition("=")
        params[k] = v
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fcgi.sock")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(16)
        os.chmod(tmp, 0o755)
        os.chmod(path, 0o777)
        cmd = shlex.split(a.wrapper) + [a.program]
        proc = subprocess.Popen(cmd, stdin=listener.fileno(), env={}, close_fds=True)
        listener.close()
        try:
            for _ in range(a.n):
                request(path, params)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
