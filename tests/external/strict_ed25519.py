"""Strict Ed25519 checks on top of OpenSSL (`cryptography`), from docs/protocol.md.

OpenSSL's Ed25519 verification accepts small-order public keys and
signatures whose R is of small order (with S = 0 and R = identity, a
"signature" by the identity key verifies for every message). The protocol
refuses them, as ed25519-dalek's `verify_strict` does:

- a public key or R must be a canonical encoding (y < p; no sign bit on x = 0)
  and must not be one of the eight small-order points;
- S must be below the group order L.
"""
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493

# The eight points of small order (canonical encodings), as in libsodium's blocklist.
SMALL_ORDER = {
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    )
}


def point_problem(encoded):
    """Why a 32-byte point encoding is refused, or None when it is acceptable."""
    if len(encoded) != 32:
        return "not 32 bytes"
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= P:
        return "non-canonical encoding (y >= p)"
    if sign and y in (1, P - 1):
        return "non-canonical encoding (sign bit set on x = 0)"
    if encoded in SMALL_ORDER:
        return "small-order point"
    return None


def strict_public_key(key_hex):
    """Loads a device or server key, refusing upper-case hex and weak points."""
    if len(key_hex) != 64 or key_hex != key_hex.lower():
        raise ValueError("a public key is 64 lower-case hex characters")
    raw = bytes.fromhex(key_hex)
    why = point_problem(raw)
    if why:
        raise ValueError(f"weak public key: {why}")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_strict(key, signature_hex, data):
    """True when the signature is lower-case hex, strict, and verifies."""
    if len(signature_hex) != 128 or signature_hex != signature_hex.lower():
        return False
    sig = bytes.fromhex(signature_hex)
    if point_problem(sig[:32]) or int.from_bytes(sig[32:], "little") >= L:
        return False
    try:
        key.verify(sig, data)
    except InvalidSignature:
        return False
    return True
