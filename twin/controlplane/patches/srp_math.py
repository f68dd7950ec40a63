"""Server side of Cognito's SRP-6a variant (USER_SRP_AUTH / PASSWORD_VERIFIER).

Hand-written: SRP libraries on PyPI implement RFC 5054 with their own hashing and padding; Cognito
uses its own variant (3072-bit group, g = 2, k = H(00‖N‖0‖g), x = H(salt ‖ H(pool‖user:password)),
hex padding that adds a 00 byte before a leading high nibble, HKDF-SHA256 with "Caldera Derived Key",
and an HMAC over pool‖user‖secret block‖timestamp). Clients (amazon-cognito-identity-js, pycognito)
implement the client side; no library implements the server side, so it is written here from the
same published math. Pure functions, no moto.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key\x01"


def pad_hex(value: int | str) -> str:
    """Even-length hex with a 00 byte in front when the top bit is set (two's-complement positive)."""
    text = value if isinstance(value, str) else f"{value:x}"
    if len(text) % 2 == 1:
        return "0" + text
    if text[0] in "89abcdefABCDEF":
        return "00" + text
    return text


def hex_hash(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest().rjust(64, "0")


K = int(hex_hash("00" + N_HEX + "0" + format(G, "x")), 16)


def password_x(pool_suffix: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{pool_suffix}{user_id}:{password}".encode()).hexdigest().rjust(64, "0")
    return int(hex_hash(pad_hex(salt_hex) + inner), 16)


def hkdf16(ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, INFO, hashlib.sha256).digest()[:16]


@dataclass(frozen=True)
class Challenge:
    """One PASSWORD_VERIFIER challenge: what the server sent and what it needs to check the answer."""

    pool_suffix: str
    user_id: str
    salt_hex: str
    big_a: int
    small_b: int
    big_b: int
    verifier: int
    secret_block: bytes

    @property
    def srp_b_hex(self) -> str:
        return f"{self.big_b:x}"

    @property
    def secret_block_b64(self) -> str:
        return base64.standard_b64encode(self.secret_block).decode()

    def expected_signature(self, timestamp: str) -> str:
        u = int(hex_hash(pad_hex(self.big_a) + pad_hex(self.big_b)), 16)
        s = pow(self.big_a * pow(self.verifier, u, N), self.small_b, N)
        key = hkdf16(bytes.fromhex(pad_hex(s)), bytes.fromhex(pad_hex(f"{u:x}")))
        msg = self.pool_suffix.encode() + self.user_id.encode() + self.secret_block + timestamp.encode()
        return base64.standard_b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()

    def verify(self, timestamp: str, signature: str) -> bool:
        return hmac.compare_digest(self.expected_signature(timestamp), signature)


class InvalidSrpA(ValueError):
    """SRP_A is not hex or is 0 mod N (which would let a client skip the password)."""


def start(pool_suffix: str, user_id: str, password: str, srp_a_hex: str) -> Challenge:
    """Begin a challenge for a user whose password the server knows (moto keeps it in clear)."""
    try:
        big_a = int(srp_a_hex, 16)
    except ValueError as exc:
        raise InvalidSrpA("SRP_A is not a hex number") from exc
    if big_a % N == 0:
        raise InvalidSrpA("SRP_A is 0 mod N")
    salt_hex = os.urandom(16).hex()
    verifier = pow(G, password_x(pool_suffix, user_id, password, salt_hex), N)
    while True:
        small_b = int.from_bytes(os.urandom(128), "big") % N
        big_b = (K * verifier + pow(G, small_b, N)) % N
        if big_b != 0 and int(hex_hash(pad_hex(big_a) + pad_hex(big_b)), 16) != 0:
            break
    return Challenge(
        pool_suffix=pool_suffix,
        user_id=user_id,
        salt_hex=salt_hex,
        big_a=big_a,
        small_b=small_b,
        big_b=big_b,
        verifier=verifier,
        secret_block=os.urandom(64),
    )
