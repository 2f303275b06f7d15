# Reference for test/eval/shard/id-digests.test.ts: MurmurHash3_x86_128 (seed 0) of each argument's
# UTF-16LE bytes, as four 32-bit words h1..h4 in hex, one line per argument. Written from the
# algorithm's description (block mix, tail, finalisation), independently of the TypeScript.
import sys

M = 0xFFFFFFFF
C1, C2, C3, C4 = 0x239B961B, 0xAB0E9789, 0x38B34AE5, 0xA1E38B93


def rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M


def fmix(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    return h ^ (h >> 16)


def murmur(data):
    h = [0, 0, 0, 0]
    c = [C1, C2, C3, C4, C1]
    r = [15, 16, 17, 18]
    hr = [19, 17, 15, 13]
    add = [0x561CCD1B, 0x0BCAA747, 0x96CD1C35, 0x32AC3B17]
    n = len(data)
    blocks = n // 16
    for b in range(blocks):
        for j in range(4):
            k = int.from_bytes(data[16 * b + 4 * j: 16 * b + 4 * j + 4], 'little')
            k = (rotl((k * c[j]) & M, r[j]) * c[j + 1]) & M
            h[j] ^= k
            h[j] = rotl(h[j], hr[j])
            h[j] = (h[j] + h[(j + 1) % 4]) & M
            h[j] = (h[j] * 5 + add[j]) & M
    tail = data[16 * blocks:]
    for j in range(4):
        part = tail[4 * j: 4 * j + 4]
        if part:
            k = int.from_bytes(part, 'little')
            h[j] ^= (rotl((k * c[j]) & M, r[j]) * c[j + 1]) & M
    h = [x ^ n for x in h]
    h[0] = (h[0] + h[1] + h[2] + h[3]) & M
    for j in (1, 2, 3):
        h[j] = (h[j] + h[0]) & M
    h = [fmix(x) for x in h]
    h[0] = (h[0] + h[1] + h[2] + h[3]) & M
    for j in (1, 2, 3):
        h[j] = (h[j] + h[0]) & M
    return h


for arg in sys.argv[1:]:
    print(' '.join(f'{x:08x}' for x in murmur(arg.encode('utf-16-le', 'surrogatepass'))))
