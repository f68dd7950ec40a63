"""TDS packet framing: reassembling messages from 8-byte-header packets and splitting replies.

Hand-written: the framing is eight bytes and a loop; the value is in the bounds it enforces
(header length, message size, read deadlines) so that a malformed or stalled client ends its own
connection and nothing else. `Reader` bounds-checks every field a parser takes out of a message.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from enum import IntEnum

HEADER = struct.Struct(">BBHHBB")
STATUS_EOM = 0x01
STATUS_RESET = 0x08
STATUS_RESET_SKIPTRAN = 0x10
MIN_PACKET = 512
MAX_PACKET = 32767


class PacketType(IntEnum):
    SQL_BATCH = 1
    RPC = 3
    REPLY = 4
    ATTENTION = 6
    BULK_LOAD = 7
    FEDAUTH = 8
    TRANSACTION_MANAGER = 14
    LOGIN7 = 16
    SSPI = 17
    PRELOGIN = 18


class ProtocolError(Exception):
    """The client broke the TDS framing or a message layout; the connection ends."""


class ClientGone(Exception):
    """The peer closed the socket or stopped talking within the deadline."""


class Reader:
    """Bounds-checked little-endian cursor over one message's payload."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        p = self.pos
        if n < 0 or p + n > len(self.data):
            raise ProtocolError("message ended early")
        self.pos = p + n
        return self.data[p : p + n]

    def _fixed(self, st: struct.Struct) -> int:
        p = self.pos
        if p + st.size > len(self.data):
            raise ProtocolError("message ended early")
        self.pos = p + st.size
        value: int = st.unpack_from(self.data, p)[0]  # struct's values are Any; these formats are integers
        return value

    def u8(self) -> int:
        p = self.pos
        if p >= len(self.data):
            raise ProtocolError("message ended early")
        self.pos = p + 1
        return self.data[p]

    def u16(self) -> int:
        return self._fixed(_U16)

    def u32(self) -> int:
        return self._fixed(_U32)

    def u64(self) -> int:
        return self._fixed(_U64)

    def b_varchar(self) -> str:
        return self.ucs2(self.u8())

    def us_varchar(self) -> str:
        return self.ucs2(self.u16())

    def ucs2(self, nchars: int) -> str:
        return self.take(nchars * 2).decode("utf-16-le", "replace")

    def remaining(self) -> int:
        return len(self.data) - self.pos


_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class PacketIO:
    """One connection's packet reader and writer."""

    def __init__(self, sock: socket.socket, *, max_message: int) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.max_message = max_message
        self.packet_size = 4096
        self.spid = 0
        self._packet_id = 1
        self._blocking = False

    # ------------------------------------------------------------------ reading
    def _fill(self, deadline: float | None) -> None:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClientGone("read deadline passed")
            self.sock.settimeout(left)
            self._blocking = False
        elif not self._blocking:  # settimeout costs two fcntl calls: only switch when needed
            self.sock.settimeout(None)
            self._blocking = True
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, OSError) as exc:
            raise ClientGone(str(exc)) from exc
        if not chunk:
            raise ClientGone("peer closed")
        self.buf += chunk

    def read_packet(self, deadline: float | None) -> tuple[int, int, bytes]:
        while len(self.buf) < 8:
            self._fill(deadline)
        ptype, status, length, _spid, _pid, _win = HEADER.unpack_from(self.buf)
        if length < 8 or length > MAX_PACKET:
            raise ProtocolError(f"packet length {length} out of range")
        while len(self.buf) < length:
            self._fill(deadline)
        body = bytes(self.buf[8:length])
        del self.buf[:length]
        return ptype, status, body

    def read_message(self, first_deadline: float | None, body_timeout: float) -> tuple[int, int, bytes]:
        """Read packets until EOM. Returns (type, status of the first packet, payload)."""
        ptype, status, body = self.read_packet(first_deadline)
        first_status = status
        parts = [body]
        size = len(body)
        deadline = time.monotonic() + body_timeout
        while not status & STATUS_EOM:
            t, status, body = self.read_packet(deadline)
            if t != ptype:
                raise ProtocolError("packet type changed inside a message")
            size += len(body)
            if size > self.max_message:
                raise ProtocolError("message too large")
            parts.append(body)
        return ptype, first_status, b"".join(parts)

    def attention_pending(self) -> bool:
        """Non-blocking: has the client sent an ATTENTION packet? Consumes it if so."""
        if len(self.buf) < 8:
            try:
                readable, _, _ = select.select([self.sock], [], [], 0)
            except (OSError, ValueError):
                return False
            if readable:
                try:
                    chunk = self.sock.recv(65536, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    chunk = None
                except OSError as exc:
                    raise ClientGone(str(exc)) from exc
                if chunk == b"":
                    raise ClientGone("peer closed")
                if chunk:
                    self.buf += chunk
        if len(self.buf) >= 8 and self.buf[0] == PacketType.ATTENTION:
            length = struct.unpack_from(">H", self.buf, 2)[0]
            if len(self.buf) >= length >= 8:
                del self.buf[:length]
                return True
        return False

    # ------------------------------------------------------------------ writing
    def send_packet(self, data: bytes | bytearray | memoryview, last: bool) -> None:
        header = HEADER.pack(PacketType.REPLY, STATUS_EOM if last else 0, len(data) + 8, self.spid, self._packet_id, 0)
        self._packet_id = (self._packet_id + 1) & 0xFF
        try:
            self.sock.sendall(header + bytes(data))
        except OSError as exc:
            raise ClientGone(str(exc)) from exc

    def send_message(self, payload: bytes) -> None:
        step = self.packet_size - 8
        view = memoryview(payload)
        for start in range(0, max(len(payload), 1), step):
            chunk = view[start : start + step]
            self.send_packet(chunk, start + step >= len(payload))


class Response:
    """Token stream of one reply; full packets go out as they fill, so results stream.

    `check_attention` runs between packets; when it reports an ATTENTION, `Cancelled` is raised
    so the caller can stop producing rows and acknowledge with DONE(ATTN).
    """

    def __init__(self, io: PacketIO) -> None:
        self.io = io
        self.buf = bytearray()
        self.sent_any = False

    def write(self, data: bytes) -> None:
        self.buf += data
        step = self.io.packet_size - 8
        if len(self.buf) > step:
            self._flush_full(step)

    def _flush_full(self, step: int) -> None:
        while len(self.buf) > step:
            self.io.send_packet(memoryview(self.buf)[:step], last=False)
            del self.buf[:step]
            self.sent_any = True
            if self.io.attention_pending():
                raise Cancelled()

    def finish(self) -> None:
        self.io.send_packet(self.buf, last=True)
        self.buf = bytearray()

    def discard(self) -> None:
        self.buf = bytearray()


class Cancelled(Exception):
    """The client sent ATTENTION while its request was running."""
