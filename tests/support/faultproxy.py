"""A TCP proxy on 127.0.0.1 that breaks the link on request.

Test helper (does I/O).  Between ``ssh`` and ``sshd`` it forwards bytes
both ways until told otherwise: ``cut()`` closes every connection at once
(both ways, as a dropped network does once noticed), ``blackhole(True)``
keeps the connections open but drops everything (packets lost, no reset:
only keepalives can notice), ``stall(True)`` holds bytes back and then
delivers them, ``slow(bps)`` limits the rate.  Runs in a thread; ``close()``
stops it.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.holding = False  # black hole: drop
        self.stalled = False  # stall: keep, deliver later
        self.rate = 0  # bytes per second, 0: unlimited
        self.cuts = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def cut(self) -> None:
        """Close every connection, both ways."""
        with self.lock:
            for a, b in self.pairs:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.cuts += 1

    def blackhole(self, on: bool) -> None:
        with self.lock:
            self.holding = on
            if on:
                self.cuts += 1

    def stall(self, on: bool) -> None:
        self.stalled = on

    def slow(self, bytes_per_second: int) -> None:
        self.rate = bytes_per_second

    def connections(self) -> int:
        with self.lock:
            return len(self.pairs)

    def close(self) -> None:
        self.running = False
        self.cut()
        self.thread.join(timeout=5)
        self.listener.close()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ)
        peer: dict[socket.socket, socket.socket] = {}
        pending: dict[socket.socket, bytearray] = {}
        while self.running:
            for key, _ in sel.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self.listener:
                    client, _ = self.listener.accept()
                    try:
                        server = socket.create_connection(self.target, timeout=5)
                    except OSError:
                        client.close()
                        continue
                    peer[client], peer[server] = server, client
                    pending[client], pending[server] = bytearray(), bytearray()
                    with self.lock:
                        self.pairs.append((client, server))
                    sel.register(client, selectors.EVENT_READ)
                    sel.register(server, selectors.EVENT_READ)
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    other = peer.pop(sock, None)
                    for s in (sock, other):
                        if s is not None:
                            try:
                                sel.unregister(s)
                            except (KeyError, ValueError):
                                pass
                            s.close()
                            peer.pop(s, None)
                            pending.pop(s, None)
                    with self.lock:
                        self.pairs = [(a, b) for a, b in self.pairs if a not in (sock, other)]
                    continue
                if self.holding:
                    continue  # lost in the network
                pending[peer[sock]] += data
            if self.stalled:
                continue
            for dest, buf in list(pending.items()):
                if not buf:
                    continue
                chunk = bytes(buf if not self.rate else buf[: max(1, self.rate // 20)])
                try:
                    dest.sendall(chunk)
                except OSError:
                    buf.clear()
                    continue
                del buf[: len(chunk)]
            if self.rate:
                time.sleep(0.05)
