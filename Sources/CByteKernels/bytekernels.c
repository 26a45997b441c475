#include "bytekernels.h"
#include <string.h>

// Debug builds compile this file without optimisation, where every statement stores its result to the
// stack and loads it back: the loops below do their work in few statements, each over four 64-bit words
// at once (clang's vector extension, SIMD on every target), and keep the values within one statement in
// registers. The results are those of the plain word loops the header describes.

typedef uint64_t dscope_u64x4 __attribute__((vector_size(32)));

static const uint64_t fnv_prime = 0x00000100000001b3ULL;
static const uint64_t golden = 0x9E3779B97F4A7C15ULL;

uint64_t dscope_checksum(const void *bytes, size_t count, uint64_t seed) {
    const unsigned char *p = (const unsigned char *)bytes;
    const uint64_t prime = fnv_prime;
    uint64_t h = seed;
    size_t words = count / 8, i = 0;
    // FNV-1a is a chain (each step needs the last): four steps in one statement, one load of 32 bytes.
    for (; i + 4 <= words; i += 4) {
        dscope_u64x4 w;
        memcpy(&w, p + i * 8, 32);
        h = ((((((h ^ w[0]) * prime) ^ w[1]) * prime ^ w[2]) * prime ^ w[3]) * prime);
    }
    for (; i < words; i++) {
        uint64_t w;
        memcpy(&w, p + i * 8, 8);
        h = (h ^ w) * prime;
    }
    for (size_t j = words * 8; j < count; j++) {
        h = (h ^ (uint64_t)p[j]) * prime;
    }
    return h;
}

uint64_t dscope_fill_pattern_checksum(void *bytes, size_t count, int64_t id, uint64_t seed) {
    unsigned char *p = (unsigned char *)bytes;
    const uint64_t prime = fnv_prime;
    const uint64_t start = ((uint64_t)id * golden) ^ 0xD1B54A32D192ED03ULL;
    uint64_t h = seed;
    size_t words = count / 8, i = 0;
    // Word i is SplitMix64 of start + (i + 1) * golden: four words per step, each lane its own state; each
    // word is also folded into the hash as dscope_checksum does.
    dscope_u64x4 state = { start + golden, start + 2 * golden, start + 3 * golden, start + 4 * golden };
    const dscope_u64x4 step = { 4 * golden, 4 * golden, 4 * golden, 4 * golden };
    for (; i + 4 <= words; i += 4) {
        dscope_u64x4 z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z = z ^ (z >> 31);
        memcpy(p + i * 8, &z, 32);
        h = ((((((h ^ z[0]) * prime) ^ z[1]) * prime ^ z[2]) * prime ^ z[3]) * prime);
        state += step;
    }
    for (; i < words; i++) {
        uint64_t z = start + (uint64_t)(i + 1) * golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z = z ^ (z >> 31);
        memcpy(p + i * 8, &z, 8);
        h = (h ^ z) * prime;
    }
    for (size_t j = words * 8; j < count; j++) {
        unsigned char b = (unsigned char)((uint64_t)id + (uint64_t)j);
        p[j] = b;
        h = (h ^ (uint64_t)b) * prime;
    }
    return h;
}

void dscope_fill_pattern(void *bytes, size_t count, int64_t id) {
    // The hash's chain costs little beside the stores; one loop to keep in step with the format.
    (void)dscope_fill_pattern_checksum(bytes, count, id, 0);
}
