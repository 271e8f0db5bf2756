"""SipHash-2-4 with a 128-bit result (Aumasson and Bernstein), written
from the paper for the tests: Deskhub's content_hash is this hash, under
the key 00 01 .. 0f, of a ticket's raw JSON."""

M = (1 << 64) - 1
KEY = bytes(range(16))


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M


def siphash128(m, k=KEY):
    k0 = int.from_bytes(k[:8], "little")
    k1 = int.from_bytes(k[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D ^ 0xEE,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & M
            v[1] = _rotl(v[1], 13) ^ v[0]
            v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & M
            v[3] = _rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & M
            v[3] = _rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & M
            v[1] = _rotl(v[1], 17) ^ v[2]
            v[2] = _rotl(v[2], 32)

    full = len(m) // 8 * 8
    last = m[full:] + bytes(7 - len(m) % 8) + bytes([len(m) & 0xFF])
    for i in range(0, full + 8, 8):
        w = int.from_bytes((m[i:i + 8] if i < full else last), "little")
        v[3] ^= w
        rounds(2)
        v[0] ^= w
    v[2] ^= 0xEE
    rounds(4)
    out = (v[0] ^ v[1] ^ v[2] ^ v[3]).to_bytes(8, "little")
    v[1] ^= 0xDD
    rounds(4)
    return out + (v[0] ^ v[1] ^ v[2] ^ v[3]).to_bytes(8, "little")


# The paper's first 128-bit vector: the empty message.
assert siphash128(b"").hex() == "a3817f04ba25a8e66df67214c7550293"
