/* kq_internal.h - declarations shared between libkquant's stages; not
 * installed. Public API: include/kquant.h. */
#ifndef KQ_INTERNAL_H
#define KQ_INTERNAL_H

#include "kquant.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors (error.c) ---- */

/* Formats a message into err (if err is non-NULL) and returns status, so
 * that failures read `return kq_fail(status, err, len, "...", ...);`. */
kq_status kq_fail(kq_status status, char *err, size_t err_len,
                  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- checked arithmetic (error.c) ---- */

/* Sets *out = a * b and returns true, or returns false on overflow. */
bool kq_mul_size(size_t a, size_t b, size_t *out);

/* ---- input guards (guard.c) ---- */

/* Refuses (KQ_ERR_INPUT_FORMAT, with the reason in err) files that would
 * reach a known fault of stb_image 2.27, and PNG or JPEG files whose header
 * claims more than max_pixels (KQ_ERR_INPUT_TOO_LARGE); KQ_OK for
 * everything else. Called before any stb function sees the data. */
kq_status kq_guard_input(const unsigned char *data, size_t len,
                         size_t max_pixels, char *err, size_t err_len);

/* ---- random numbers (rng.c) ----
 * MT19937 seeded like numpy's RandomState(seed) for seeds < 2^32
 * (init_genrand), with numpy's randint and uniform draws. Our own code. */

#define KQ_MT_N 624

typedef struct {
    uint32_t state[KQ_MT_N];
    int index;
} kq_rng;

/* Seeds with init_genrand(seed mod 2^32) as numpy's RandomState(seed). */
void kq_rng_seed(kq_rng *rng, uint32_t seed);

/* The next tempered 32-bit output. */
uint32_t kq_rng_next32(kq_rng *rng);

/* A uniform integer in 0..n-1 by masked rejection, as numpy's
 * RandomState.randint(n). Draws nothing when n == 1. n must be >= 1. */
uint64_t kq_rng_below(kq_rng *rng, uint64_t n);

/* A uniform double in [0, 1) with 53 random bits (numpy's random_sample). */
double kq_rng_uniform(kq_rng *rng);

#endif /* KQ_INTERNAL_H */
