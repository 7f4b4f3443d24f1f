/* rng.c - MT19937 with numpy RandomState's seeding and draws.
 *
 * kquant needs the very stream numpy produces for RandomState(seed) so that
 * its k-means++ seeding can follow scikit-learn's; the algorithm is the
 * published Mersenne Twister (Matsumoto and Nishimura, 1998). */
#include "kq_internal.h"

#define MT_M 397
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu
#define MT_MATRIX 0x9908b0dfu

void kq_rng_seed(kq_rng *rng, uint32_t seed)
{
    rng->state[0] = seed;
    for (uint32_t i = 1; i < KQ_MT_N; i++) {
        uint32_t prev = rng->state[i - 1];
        rng->state[i] = 1812433253u * (prev ^ (prev >> 30)) + i;
    }
    rng->index = KQ_MT_N;
}

static uint32_t twist_word(uint32_t upper_of, uint32_t lower_of, uint32_t far)
{
    uint32_t y = (upper_of & MT_UPPER) | (lower_of & MT_LOWER);
    return far ^ (y >> 1) ^ ((y & 1u) ? MT_MATRIX : 0u);
}

static void regenerate(kq_rng *rng)
{
    uint32_t *mt = rng->state;
    for (int i = 0; i < KQ_MT_N; i++) {
        mt[i] = twist_word(mt[i], mt[(i + 1) % KQ_MT_N],
                           mt[(i + MT_M) % KQ_MT_N]);
    }
    rng->index = 0;
}

uint32_t kq_rng_next32(kq_rng *rng)
{
    if (rng->index >= KQ_MT_N)
        regenerate(rng);
    uint32_t y = rng->state[rng->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static uint64_t mask_covering(uint64_t r)
{
    uint64_t m = r;
    for (int shift = 1; shift < 64; shift <<= 1)
        m |= m >> shift;
    return m;
}

uint64_t kq_rng_below(kq_rng *rng, uint64_t n)
{
    uint64_t r = n - 1;
    if (r == 0)
        return 0;
    uint64_t mask = mask_covering(r);
    uint64_t u;
    do {
        if (r <= 0xffffffffu) {
            u = kq_rng_next32(rng) & mask;
        } else {
            uint64_t hi = kq_rng_next32(rng);
            u = ((hi << 32) | kq_rng_next32(rng)) & mask;
        }
    } while (u > r);
    return u;
}

double kq_rng_uniform(kq_rng *rng)
{
    uint32_t a = kq_rng_next32(rng) >> 5;
    uint32_t b = kq_rng_next32(rng) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}
