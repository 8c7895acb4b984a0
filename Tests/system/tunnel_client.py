"""A minimal client of the tunnel protocol (docs/PROTOCOL.md), for tests that need many
sessions at once without a tunnel-connect process each: TLS to the relay (or its balancer),
HELLO with a session token, SESSION_STATUS connected, then SERIAL_DATA both ways. PING is
answered; GOING_AWAY ends the session with its reason."""
import socket
import ssl
import struct

HELLO, WELCOME, SESSION_STATUS, SERIAL_DATA, PING, PONG, GOING_AWAY = 0x01, 0x02, 0x12, 0x20, 0x30, 0x31, 0x3F
CLIENT_ROLE, CONNECTED = 3, 2


class SessionRefused(Exception):
    pass


def string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BBI", kind, 0, len(payload)) + payload


class TunnelSession:
    def __init__(self, host: str, port: int, ca: str, token: str, timeout=15.0):
        context = ssl.create_default_context(cafile=ca)
        context.check_hostname = False  # the balancer's address; the chain is still checked
        plain = socket.create_connection((host, port), timeout=timeout)
        # As tunnel-connect (SwiftNIO's default): without it, Nagle holds the HELLO behind the
        # handshake's last record until the relay's delayed ACK, 40 ms later.
        plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(plain)
        self.buffer = b""
        self.sock.sendall(frame(HELLO, bytes([1, CLIENT_ROLE]) + string("test-client/1") + string("") + string(token)))
        while True:
            kind, payload = self.read_frame()
            if kind == SESSION_STATUS and payload[0] == CONNECTED:
                return

    def read_frame(self) -> tuple[int, bytes]:
        """The next frame that is not keepalive; GOING_AWAY raises SessionRefused."""
        while True:
            while len(self.buffer) < 6:
                self.receive()
            kind, _, length = struct.unpack(">BBI", self.buffer[:6])
            while len(self.buffer) < 6 + length:
                self.receive()
            payload, self.buffer = self.buffer[6:6 + length], self.buffer[6 + length:]
            if kind == PING:
                self.sock.sendall(frame(PONG, payload))
            elif kind == GOING_AWAY:
                code, = struct.unpack(">H", payload[:2])
                size, = struct.unpack(">H", payload[2:4])
                raise SessionRefused(f"GOING_AWAY {code}: {payload[4:4 + size].decode(errors='replace')}")
            elif kind != PONG:
                return kind, payload

    def receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise SessionRefused("the relay closed the connection")
        self.buffer += data

    def send(self, data: bytes):
        self.sock.sendall(frame(SERIAL_DATA, data))

    def read_until(self, predicate) -> bytes:
        """Serial bytes from the device until `predicate(bytes so far)` holds."""
        received = b""
        while not predicate(received):
            kind, payload = self.read_frame()
            if kind == SERIAL_DATA:
                received += payload
        return received

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
