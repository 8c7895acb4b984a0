"""A TCP proxy on loopback that can go silent, for dead-peer tests.

`stall()` stops forwarding in both directions without closing anything: no FIN, no RST,
the bytes stay in the kernel's buffers (a pulled cable, a NAT that dropped its binding).
Connections opened during the stall are accepted and never answered. `restore()` resets
(RST, SO_LINGER 0) every connection that lived through the stall, as a NAT that lost the
binding would answer their next packet, and forwards new connections again.
"""
import selectors
import socket
import struct
import threading


class StallProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.stalled = False
        self.peers: dict[socket.socket, socket.socket] = {}  # both directions of every forwarded pair
        self.held: list[socket.socket] = []  # accepted during a stall, never answered
        self.forwarded = 0  # pairs ever forwarded: a redial through the proxy adds one
        self.running = True
        self.wake_r, self.wake_w = socket.socketpair()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self._loop, name=f"stall-proxy-{self.port}", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stall(self):
        """Stops forwarding both ways; nothing is closed."""
        with self.lock:
            self.stalled = True
            for sock in list(self.peers):
                try:
                    self.selector.unregister(sock)
                except (KeyError, ValueError):
                    pass
        self.wake_w.send(b"x")

    def restore(self):
        """Resets every connection that lived through the stall; forwards new ones again."""
        with self.lock:
            self.stalled = False
            old = list(self.peers) + self.held
            self.peers.clear()
            self.held.clear()
            for sock in old:
                try:
                    self.selector.unregister(sock)
                except (KeyError, ValueError):
                    pass
                self._reset(sock)
        self.wake_w.send(b"x")

    def close(self):
        self.running = False
        self.wake_w.send(b"x")
        self.thread.join(timeout=5)
        with self.lock:
            for sock in list(self.peers) + self.held:
                self._reset(sock)
            self.peers.clear()
            self.held.clear()
        self.listener.close()

    @staticmethod
    def _reset(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()

    def _close_pair(self, sock):
        peer = self.peers.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            self.peers.pop(s, None)
            try:
                self.selector.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()

    def _loop(self):
        while self.running:
            events = self.selector.select(timeout=0.2)
            with self.lock:
                for key, _ in events:
                    sock = key.fileobj
                    if sock is self.wake_r:
                        self.wake_r.recv(64)
                    elif sock is self.listener:
                        self._accept()
                    elif sock in self.peers and not self.stalled:
                        self._forward(sock)

    def _accept(self):
        client, _ = self.listener.accept()
        if self.stalled:
            self.held.append(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._reset(client)
            return
        for s in (client, upstream):
            s.setblocking(True)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peers[client] = upstream
        self.peers[upstream] = client
        self.selector.register(client, selectors.EVENT_READ)
        self.selector.register(upstream, selectors.EVENT_READ)
        self.forwarded += 1

    def _forward(self, sock):
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close_pair(sock)
            return
        try:
            self.peers[sock].sendall(data)
        except OSError:
            self._close_pair(sock)
