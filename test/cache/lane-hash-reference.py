"""Independent reference for src/cache/lane-hash.ts (plain Python integers, no shared code).

Four lanes of XXH64's accumulator round (Yann Collet's xxHash spec, seed 0):
acc = rotl64(acc + word * P2, 31) * P1 over the little-endian 64-bit words of the input taken in
32-byte stripes (word j of a stripe to lane j), the last stripe zero-padded; digest = the four
lanes, each u64 little-endian (32 bytes, hex). Run: python3 test/cache/lane-hash-reference.py
It prints the known-answer vectors pinned in lane-hash.test.ts. Where Debian's python3-xxhash is
installed it also checks that, for lengths that are multiples of 32, finishing the four lanes as
XXH64 does (merge, length, avalanche) gives the library's xxh64 of the same bytes, i.e. that the
lanes are XXH64's.
"""
import struct

P1 = 0x9E3779B185EBCA87
P2 = 0xC2B2AE3D27D4EB4F
M = (1 << 64) - 1


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def lane_hash(data: bytes) -> str:
    lanes = [(P1 + P2) & M, P2, 0, (-P1) & M]
    padded = data + b"\0" * (-len(data) % 32)
    for i in range(0, len(padded), 8):
        (word,) = struct.unpack_from("<Q", padded, i)
        k = (i // 8) % 4
        lanes[k] = (rotl((lanes[k] + word * P2) & M, 31) * P1) & M
    return b"".join(struct.pack("<Q", v) for v in lanes).hex()


def xxh64_from_lanes(lanes_hex: str, length: int) -> int:
    """XXH64 (seed 0) of an input of `length` bytes (a multiple of 32, >= 32) from its four lanes."""
    P3, P4 = 0x165667B19E3779F9, 0x85EBCA77C2B2AE63
    v = list(struct.unpack("<4Q", bytes.fromhex(lanes_hex)))
    h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
    for x in v:
        h ^= (rotl((x * P2) & M, 31) * P1) & M
        h = (h * P1 + P4) & M
    h = (h + length) & M
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    h ^= h >> 32
    return h


def pattern(n: int) -> bytes:
    """Bytes i*31+7 mod 251 (easy to regenerate in any language)."""
    return bytes((i * 31 + 7) % 251 for i in range(n))


if __name__ == "__main__":
    print("''", lane_hash(b""))
    print("'abc'", lane_hash(b"abc"))
    print("'123456789'", lane_hash(b"123456789"))
    for n in (31, 32, 33, 1000, 131072, 131073, 300001):
        print(f"pattern({n})", lane_hash(pattern(n)))
    try:
        import xxhash
    except ImportError:
        print("python3-xxhash not installed: XXH64 cross-check skipped")
    else:
        for n in (32, 64, 1024, 131072, 300032):
            assert xxh64_from_lanes(lane_hash(pattern(n)), n) == xxhash.xxh64_intdigest(pattern(n)), n
        print("lanes agree with xxhash.xxh64 (python3-xxhash", xxhash.VERSION + ")")
