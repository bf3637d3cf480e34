#!/usr/bin/env python3
"""Fake SMTP server for the MyKollector test suite (Python 3 standard library only).

Speaks enough real SMTP (RFC 5321) for an SMTP client such as lettre: 220
greeting, EHLO/HELO, optional AUTH PLAIN/LOGIN (any credentials are accepted),
MAIL FROM, RCPT TO, DATA ... ".", RSET, NOOP, VRFY, HELP, QUIT. No STARTTLS:
configure the application with SMTP_TLS=none.

Every accepted message is written to DIR as one .eml file: the message exactly
as received (dot-unstuffed, CRLF line ends), preceded by two header lines that
record the SMTP envelope:
    X-Fake-SMTP-Mail-From: <sender>
    X-Fake-SMTP-Rcpt-To: <rcpt1>, <rcpt2>
Files are written under a temporary name and renamed, so a reader never sees a
half-written message. Names sort in arrival order: <epoch_ns>-<seq>.eml.

A test can make the server refuse one recipient, to check that a failing
SMTP server never fails a request and that the mail is retried: while a file
named after the address (lower case) exists in --refuse-dir, RCPT TO that
address answers "450 4.2.1" (a temporary failure, as a full mailbox or a
greylisting server would); remove the file and the next attempt is accepted.

Usage: fake_smtp.py --dir DIR [--host 127.0.0.1] [--port 2525] [--ready-file F]
                    [--refuse-dir DIR]
--port 0 picks a free port; the chosen port is printed on stdout as
"PORT <n>" and written to --ready-file when the server is listening.
"""

import argparse
import asyncio
import base64
import itertools
import os
import socket
import sys
import time

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
_seq = itertools.count(1)


def save_message(directory, mail_from, rcpts, data):
    """Write one message atomically; return its path."""
    os.makedirs(directory, exist_ok=True)  # tests may have emptied/removed it
    name = f"{time.time_ns()}-{next(_seq):05d}.eml"
    final = os.path.join(directory, name)
    tmp = os.path.join(directory, "." + name + ".tmp")
    envelope = (
        f"X-Fake-SMTP-Mail-From: <{mail_from}>\r\n"
        f"X-Fake-SMTP-Rcpt-To: {', '.join('<' + r + '>' for r in rcpts)}\r\n"
    ).encode()
    with open(tmp, "wb") as f:
        f.write(envelope + data)
    os.chmod(tmp, 0o644)
    os.rename(tmp, final)
    return final


def address_of(arg, keyword):
    """'FROM:<a@b> SIZE=12' -> 'a@b' (None when malformed)."""
    if not arg.upper().startswith(keyword + ":"):
        return None
    rest = arg[len(keyword) + 1 :].strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end >= 0 else None
    return rest.split(" ", 1)[0] if rest else None


class Session:
    def __init__(self, reader, writer, directory, refuse_dir=None):
        self.reader, self.writer, self.directory = reader, writer, directory
        self.refuse_dir = refuse_dir
        self.reset()

    def refused(self, addr):
        """Whether a test asked to refuse this recipient (see --refuse-dir)."""
        if not self.refuse_dir or "/" in addr or addr.startswith("."):
            return False
        return os.path.exists(os.path.join(self.refuse_dir, addr.lower()))

    def reset(self):
        self.mail_from, self.rcpts = None, []

    async def send(self, line):
        self.writer.write((line + "\r\n").encode())
        await self.writer.drain()

    async def readline(self):
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("client closed the connection")
        return line

    async def read_data(self):
        """Lines up to the lone '.', dot-unstuffed; None if too large."""
        chunks, size, too_big = [], 0, False
        while True:
            line = await self.readline()
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size > MAX_MESSAGE_BYTES:
                too_big = True
            elif not too_big:
                chunks.append(line)
        return None if too_big else b"".join(chunks)

    async def auth(self, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        if mech == "PLAIN":
            if len(parts) == 1:
                await self.send("334 ")
                await self.readline()
        elif mech == "LOGIN":
            if len(parts) == 1:
                await self.send("334 " + base64.b64encode(b"Username:").decode())
                await self.readline()
            await self.send("334 " + base64.b64encode(b"Password:").decode())
            await self.readline()
        else:
            await self.send("504 5.5.4 Unrecognized authentication type")
            return
        await self.send("235 2.7.0 Authentication successful")

    async def run(self):
        await self.send("220 fake-smtp.mykollector.test ESMTP ready")
        while True:
            raw = await self.readline()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reset()
                # One write, as real servers do: six small writes each waited
                # for the client's delayed ACK (Nagle), ~40 ms per EHLO.
                await self.send(
                    "\r\n".join(
                        (
                            "250-fake-smtp.mykollector.test",
                            "250-8BITMIME",
                            "250-SMTPUTF8",
                            f"250-SIZE {MAX_MESSAGE_BYTES}",
                            "250-AUTH PLAIN LOGIN",
                            "250 HELP",
                        )
                    )
                )
            elif verb == "HELO":
                self.reset()
                await self.send("250 fake-smtp.mykollector.test")
            elif verb == "AUTH":
                await self.auth(arg)
            elif verb == "MAIL":
                addr = address_of(arg, "FROM")
                if addr is None:
                    await self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
                else:
                    self.reset()
                    self.mail_from = addr
                    await self.send("250 2.1.0 OK")
            elif verb == "RCPT":
                addr = address_of(arg, "TO")
                if self.mail_from is None:
                    await self.send("503 5.5.1 Need MAIL first")
                elif not addr:
                    await self.send("501 5.5.4 Syntax: RCPT TO:<address>")
                elif self.refused(addr):
                    await self.send("450 4.2.1 Mailbox temporarily unavailable, try again later")
                else:
                    self.rcpts.append(addr)
                    await self.send("250 2.1.5 OK")
            elif verb == "DATA":
                if not self.rcpts:
                    await self.send("503 5.5.1 Need RCPT first")
                    continue
                await self.send("354 End data with <CR><LF>.<CR><LF>")
                data = await self.read_data()
                if data is None:
                    await self.send("552 5.3.4 Message too big")
                else:
                    try:
                        path = save_message(self.directory, self.mail_from, self.rcpts, data)
                    except OSError as e:
                        print(f"cannot save message: {e!r}", file=sys.stderr, flush=True)
                        await self.send("451 4.3.0 Cannot store the message")
                    else:
                        print(f"saved {path} to {','.join(self.rcpts)}", flush=True)
                        await self.send("250 2.0.0 OK: queued as " + os.path.basename(path))
                self.reset()
            elif verb == "RSET":
                self.reset()
                await self.send("250 2.0.0 OK")
            elif verb == "NOOP":
                await self.send("250 2.0.0 OK")
            elif verb == "VRFY":
                await self.send("252 2.5.2 Cannot VRFY user, but will accept message")
            elif verb == "HELP":
                await self.send("214 2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP QUIT")
            elif verb == "QUIT":
                await self.send("221 2.0.0 Bye")
                return
            elif verb == "STARTTLS":
                await self.send("454 4.7.0 TLS not available")
            else:
                await self.send("502 5.5.2 Command not recognized")


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", required=True, help="directory for the received .eml files")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525, help="0 = any free port")
    p.add_argument("--ready-file", help="written with the port number once listening")
    p.add_argument("--refuse-dir", help="recipients named by a file here get 450 at RCPT")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    async def handle(reader, writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await Session(reader, writer, args.dir, args.refuse_dir).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception as e:  # keep serving other clients
            print(f"session error: {e!r}", file=sys.stderr, flush=True)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, args.host, args.port, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.rename(tmp, args.ready_file)
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
