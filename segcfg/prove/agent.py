"""A probe agent running inside one network namespace (started with ``ip netns exec``).

It reads one JSON command per line on stdin and answers one JSON line on stdout:

- ``{"op": "listen", "items": [[proto, ip, port], ...]}``: TCP listeners that accept and close,
  UDP sockets that echo every datagram back; each arrival is recorded.
- ``{"op": "probe", "items": [{"id", "proto", "src", "dst", "port"}...], "timeout": s}``:
  TCP connects (a completed handshake means the SYN and the SYN-ACK both passed), UDP
  send-and-wait-for-echo, ICMP echo with ``ping``; all in parallel.
- ``{"op": "seen"}``: arrivals recorded since the last call, ``[proto, src, dst, port]``.
- ``{"op": "quit"}``.

The agent only ever binds to addresses of its own namespace and talks to addresses given by the
controller; it has no other network access.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_seen: list[list[Any]] = []
_lock = threading.Lock()
_listeners: dict[tuple[str, str, int], socket.socket] = {}


def _record(proto: str, src: str, dst: str, port: int) -> None:
    with _lock:
        _seen.append([proto, src, dst, port])


def _serve_tcp(sock: socket.socket, ip: str, port: int) -> None:
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        _record("tcp", peer[0], ip, port)
        conn.close()


def _serve_udp(sock: socket.socket, ip: str, port: int) -> None:
    while True:
        try:
            data, peer = sock.recvfrom(512)
        except OSError:
            return
        _record("udp", peer[0], ip, port)
        with contextlib.suppress(OSError):
            sock.sendto(b"echo:" + data, peer)


def listen(items: list[list[Any]]) -> dict[str, Any]:
    errors = []
    for proto, ip, port in items:
        key = (proto, ip, int(port))
        if key in _listeners:
            continue
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, int(port)))
        except OSError as exc:
            errors.append(f"{proto} {ip}:{port}: {exc}")
            sock.close()
            continue
        if proto == "tcp":
            sock.listen(64)
            target = _serve_tcp
        else:
            target = _serve_udp
        _listeners[key] = sock
        threading.Thread(target=target, args=(sock, ip, int(port)), daemon=True).start()
    return {"ok": not errors, "errors": errors}


def _probe_one(item: dict[str, Any], timeout: float) -> tuple[str, str]:
    proto, src, dst = item["proto"], item["src"], item["dst"]
    if proto == "icmp":
        proc = subprocess.run(
            ["ping", "-n", "-q", "-c", "1", "-W", str(max(1, round(timeout))), "-I", src, dst],
            capture_output=True,
            check=False,
        )
        return item["id"], "pass" if proc.returncode == 0 else "blocked"
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(timeout)
        sock.bind((src, int(item.get("sport", 0))))
        try:
            if proto == "tcp":
                sock.connect((dst, int(item["port"])))
                return item["id"], "pass"
            sock.sendto(b"probe", (dst, int(item["port"])))
            sock.recvfrom(512)
            return item["id"], "pass"
        except TimeoutError:
            return item["id"], "blocked"
        except ConnectionRefusedError:
            return item["id"], "refused"
        except OSError as exc:
            return item["id"], f"error: {exc.strerror or exc}"


def probe(items: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=64) as pool:
        results = dict(pool.map(lambda it: _probe_one(it, timeout), items))
    return {"ok": True, "results": results}


def main() -> None:
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd.get("op")
        if op == "listen":
            reply = listen(cmd["items"])
        elif op == "probe":
            reply = probe(cmd["items"], float(cmd.get("timeout", 0.5)))
        elif op == "seen":
            with _lock:
                reply = {"ok": True, "seen": list(_seen)}
                _seen.clear()
        elif op == "quit":
            break
        else:
            reply = {"ok": False, "errors": [f"unknown op {op!r}"]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    for sock in _listeners.values():
        sock.close()


if __name__ == "__main__":
    main()
