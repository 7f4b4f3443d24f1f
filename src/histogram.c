/* histogram.c - the distinct colours of an 8-bit RGB image and their
 * counts, exactly.
 *
 * A photo of N pixels has U distinct colours, often U << N, and k-means on
 * the U colours weighted by their counts reaches the same fixed point as
 * k-means on all N pixels. Small images are counted by sorting the
 * colours' 24-bit Morton codes (cost ~N); large ones by a direct table of 2^24
 * byte counters (16 MiB) and a bit per code that occurs, whose running
 * counts then map each colour back to its distinct index. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "kq_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TABLE_SIZE ((size_t)1 << 24)
#define CODE_BLOCK 256 /* pixels whose codes are found (and their table
                          entries prefetched) before any is counted or
                          looked up: more misses in flight at once (12 MP,
                          k=256, against 64: k-means part median 0.228 ->
                          0.217 s, whole fit 0.334 -> 0.314 s; 512 no
                          better) */
/* Below this many pixels sorting is cheaper than faulting in the table. */
#define SORT_LIMIT ((size_t)SORT_LIMIT_PIXELS)
#ifndef SORT_LIMIT_PIXELS
#define SORT_LIMIT_PIXELS (1 << 19)
#endif

/* The 8 bits of v spread to every third bit (bit i to bit 3i). */
static inline uint32_t spread3(uint32_t v)
{
    v = (v | v << 8) & 0x0000f00fu;
    v = (v | v << 4) & 0x000c30c3u;
    v = (v | v << 2) & 0x00249249u;
    return v;
}

static inline uint32_t compact3(uint32_t v)
{
    v &= 0x00249249u;
    v = (v | v >> 2) & 0x000c30c3u;
    v = (v | v >> 4) & 0x0000f00fu;
    v = (v | v >> 8) & 0x000000ffu;
    return v;
}

/* spread3 of every byte: a lookup is a few instructions where the bit
 * twiddling takes a dozen per channel, and every pixel needs a code. */
static uint32_t spread_table[256];
static pthread_once_t spread_once = PTHREAD_ONCE_INIT;

static void fill_spread_table(void)
{
    for (uint32_t v = 0; v < 256; v++)
        spread_table[v] = spread3(v);
}

static void need_spread_table(void)
{
    pthread_once(&spread_once, fill_spread_table);
}

/* The Morton (Z-order) code of a colour: similar colours get nearby
 * codes, so the table path's counters stay in cache while a photo's
 * neighbouring pixels are counted. Needs need_spread_table() first. */
static inline uint32_t morton(const unsigned char *p)
{
    return spread_table[p[0]] << 2 | spread_table[p[1]] << 1 |
           spread_table[p[2]];
}

static inline uint32_t unmorton(uint32_t m)
{
    return compact3(m >> 2) << 16 | compact3(m >> 1) << 8 | compact3(m);
}

void kq_histogram_free(kq_histogram *h)
{
    if (!h)
        return;
    free(h->colour);
    free(h->count);
    free(h->pixel_index);
    free(h->label_of);
    free(h->table);
    free(h->seen);
    free(h->rank);
    free(h->label_buffer);
    memset(h, 0, sizeof *h);
}

#define RADIX_BITS 12
#define RADIX_SIZE (1 << RADIX_BITS)

/* One LSD radix pass on 12 bits of key, carrying idx along. Two passes
 * sort the 24-bit Morton codes (measured faster than three 8-bit passes
 * and than bucketing by colour cell, at 76,800 pixels). */
static void radix_pass(const uint32_t *key, const uint32_t *idx, size_t n,
                       int shift, uint32_t *key_out, uint32_t *idx_out)
{
    static const size_t zero[RADIX_SIZE];
    size_t offset[RADIX_SIZE];
    memcpy(offset, zero, sizeof offset);
    for (size_t i = 0; i < n; i++)
        offset[(key[i] >> shift) & (RADIX_SIZE - 1)]++;
    size_t run = 0;
    for (int b = 0; b < RADIX_SIZE; b++) {
        size_t c = offset[b];
        offset[b] = run;
        run += c;
    }
    for (size_t i = 0; i < n; i++) {
        size_t at = offset[(key[i] >> shift) & (RADIX_SIZE - 1)]++;
        key_out[at] = key[i];
        idx_out[at] = idx[i];
    }
}

static kq_status alloc_colours(kq_histogram *h, size_t u)
{
    h->colour = kq_alloc_large(sizeof(uint32_t) * u);
    h->count = kq_alloc_large(sizeof(uint32_t) * u);
    return h->colour && h->count ? KQ_OK : KQ_ERR_NOMEM;
}

/* Sorted Morton codes into distinct colours; pixel_index[idx] = distinct
 * index. */
static kq_status collect_runs(kq_histogram *h, const uint32_t *key,
                              const uint32_t *idx, size_t n)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        u += (i == 0 || key[i] != key[i - 1]);
    if (alloc_colours(h, u) != KQ_OK)
        return KQ_ERR_NOMEM;
    size_t at = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || key[i] != key[i - 1]) {
            at++;
            h->colour[at] = unmorton(key[i]);
            h->count[at] = 0;
        }
        h->count[at]++;
        h->pixel_index[idx[i]] = (uint32_t)at;
    }
    h->n_colours = u;
    return KQ_OK;
}

static kq_status build_by_sort(kq_histogram *h, const unsigned char *rgb,
                               size_t n)
{
    uint32_t *buf = malloc(sizeof(uint32_t) * 4 * n);
    h->pixel_index = malloc(sizeof(uint32_t) * n);
    if (!buf || !h->pixel_index) {
        free(buf);
        return KQ_ERR_NOMEM;
    }
    uint32_t *key = buf, *idx = buf + n, *key2 = buf + 2 * n,
             *idx2 = buf + 3 * n;
    for (size_t i = 0; i < n; i++) {
        key[i] = morton(rgb + 3 * i);
        idx[i] = (uint32_t)i;
    }
    radix_pass(key, idx, n, 0, key2, idx2);
    radix_pass(key2, idx2, n, RADIX_BITS, key, idx);
    kq_status st = collect_runs(h, key, idx, n);
    free(buf);
    return st;
}

/* Asks for transparent huge pages where the kernel offers them. On the
 * table: its accesses are scattered, and 4 KiB pages would miss the TLB
 * on almost every one. On the decoded image and the per-pixel labels:
 * 2 MiB pages fault in 512x less often as they are first written (12 MP:
 * the JPEG decode 149-182 -> 136-153 ms, the labels 56-69 -> 42-49 ms,
 * side by side). Only a hint: nothing depends on it. */
void kq_advise_huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (p && hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* perf: the engine's arrays of one value per colour (12 MP: 1.6-4.9 MB
 * each, about 28 MB in all) and the per-pixel labels are written all
 * over soon after they are allocated. On this machine a page's first
 * write costs far more than the write, and one fault per 2 MiB huge page
 * far less than 512 faults of 4 KiB (24 MB: 16-20 ms in small pages, 5-6
 * ms in huge ones). So from 1 MiB on, such an array starts on a huge
 * page boundary and is rounded up to whole huge pages, which are asked
 * for (12 MP, k=256, twelve runs in turn: the histogram stage median
 * 15.4 -> 7.8 ms; peak memory 105 -> 115 MiB, from the rounding). Free
 * it with free(). */
#define LARGE_BYTES ((size_t)1 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

void *kq_alloc_large(size_t bytes)
{
    if (bytes < LARGE_BYTES)
        return malloc(bytes ? bytes : 1);
    if (bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    kq_advise_huge_pages(p, rounded);
    return p;
}

/* The table path splits the Morton code space into parts counted by
 * separate tasks: every task reads every pixel, but the scattered counter
 * updates (the costly part) are split, and no counter or seen word is
 * shared. Colours are numbered in code order whatever the split, so the
 * result does not depend on it. */
#define MAX_PARTS 2

/* perf: the counters are bytes, 16 MiB where 32-bit ones took 64 MiB.
 * The kernel zeroes every page of the table as it is first written, and
 * a 12 MP photo touched 24 of the 32 huge pages of a 32-bit table: 40%
 * of the counting's time (12 MP, k=256: peak memory 143 -> 103 MiB,
 * 50 ms less kernel time; from a PNG, counted after the decode, the
 * histogram 89.5 -> 77.8 ms). A byte that wraps to 0 puts its code on
 * the part's carry list (each entry: 256 more pixels); a part wraps at
 * most n / 256 times, so the lists never grow. */
typedef struct {
    const unsigned char *rgb;
    size_t n;
    int parts;
    unsigned char *table;
    uint64_t *seen;              /* one bit per colour */
    uint32_t *carry[MAX_PARTS];  /* codes whose counter wrapped */
    size_t n_carry[MAX_PARTS];
    kq_histogram *h;
} table_job;

static int part_of(const table_job *j, uint32_t code)
{
    return j->parts == 1 ? 0 : (int)(code >> 23);
}

/* The codes of pixels b..b+m-1 that fall in part p, their counters
 * prefetched (the table misses cache: the misses overlap); returns how
 * many. */
static size_t own_codes(const table_job *j, size_t p, size_t b, size_t m,
                        uint32_t *code)
{
    size_t own = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t c = morton(j->rgb + 3 * (b + i));
        code[own] = c;
        own += part_of(j, c) == (int)p;
    }
    for (size_t q = 0; q < own; q++)
        __builtin_prefetch(&j->table[code[q]], 1);
    return own;
}

/* Counts pixels begin..end-1 into part p. */
static void count_range(table_job *j, size_t p, size_t begin, size_t end)
{
    unsigned char *t = j->table;
    uint32_t code[CODE_BLOCK];
    for (size_t b = begin; b < end; b += CODE_BLOCK) {
        size_t m = end - b < CODE_BLOCK ? end - b : CODE_BLOCK;
        size_t own = own_codes(j, p, b, m, code);
        for (size_t q = 0; q < own; q++) {
            uint32_t c = code[q];
            if (++t[c] == 0)
                j->carry[p][j->n_carry[p]++] = c;
            j->seen[c >> 6] |= (uint64_t)1 << (c & 63);
        }
    }
}

static void count_part(void *ctx, size_t p)
{
    table_job *j = ctx;
    count_range(j, p, 0, j->n);
}

/* The bits set in v (no popcnt instruction in the baseline x86-64). */
static inline uint32_t bits_set(uint64_t v)
{
    v -= (v >> 1) & 0x5555555555555555ull;
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((v * 0x0101010101010101ull) >> 56);
}

/* The distinct index of the colour with Morton code c (table path): the
 * colours are numbered in code order. */
static inline uint32_t index_of_code(const kq_histogram *h, uint32_t c)
{
    uint64_t below = h->seen[c >> 6] & (((uint64_t)1 << (c & 63)) - 1);
    return h->rank[c >> 6] + bits_set(below);
}

/* The colours of the t-th of COLLECT_TASKS ranges of codes, numbered in
 * code order (from the running counts, so the ranges need not match the
 * parts that counted them), with their counter bytes as counts. */
#define COLLECT_TASKS 8

static void collect_range(void *ctx, size_t t)
{
    table_job *j = ctx;
    kq_histogram *h = j->h;
    size_t words = TABLE_SIZE / 64 / COLLECT_TASKS;
    for (size_t word = t * words; word < (t + 1) * words; word++) {
        size_t at = h->rank[word];
        for (uint64_t bits = h->seen[word]; bits; bits &= bits - 1) {
            uint32_t c = (uint32_t)(word * 64 + (size_t)__builtin_ctzll(bits));
            h->colour[at] = unmorton(c);
            h->count[at++] = j->table[c];
        }
    }
}

/* 256 more pixels for each wrap of a counter. */
static void add_carries(table_job *j)
{
    for (int p = 0; p < j->parts; p++)
        for (size_t q = 0; q < j->n_carry[p]; q++)
            j->h->count[index_of_code(j->h, j->carry[p][q])] += 256;
}

static void free_carries(table_job *j)
{
    for (int p = 0; p < MAX_PARTS; p++) {
        free(j->carry[p]);
        j->carry[p] = NULL;
    }
}

/* The counters, seen bits and carry lists of a table job counting n
 * pixels of rgb in `parts` parts into h. */
static kq_status table_begin(table_job *j, kq_histogram *h,
                             const unsigned char *rgb, size_t n, int parts)
{
    *j = (table_job){.rgb = rgb, .n = n, .parts = parts, .h = h};
    /* calloc: fresh zero pages, no memset (measured 2-3x faster) */
    h->table = calloc(TABLE_SIZE, 1);
    kq_advise_huge_pages(h->table, TABLE_SIZE);
    h->seen = calloc(TABLE_SIZE / 64, sizeof(uint64_t));
    h->rank = kq_alloc_large(sizeof(uint32_t) * (TABLE_SIZE / 64));
    j->table = h->table;
    j->seen = h->seen;
    bool ok = h->table && h->seen && h->rank;
    for (int p = 0; p < parts; p++) {
        j->carry[p] = malloc(sizeof(uint32_t) * (n / 256 + 1));
        ok = ok && j->carry[p];
    }
    return ok ? KQ_OK : KQ_ERR_NOMEM;
}

/* Numbers the counted colours in code order; frees the carry lists. */
static kq_status table_collect(table_job *j, kq_pool *pool)
{
    kq_histogram *h = j->h;
    uint32_t u = 0;
    for (size_t word = 0; word < TABLE_SIZE / 64; word++) {
        h->rank[word] = u;
        u += bits_set(h->seen[word]);
    }
    kq_status st = alloc_colours(h, u);
    if (st == KQ_OK) {
        kq_pool_run(pool, COLLECT_TASKS, collect_range, j);
        add_carries(j);
    }
    free_carries(j);
    h->n_colours = u;
    return st;
}

static kq_status build_by_table(kq_histogram *h, const unsigned char *rgb,
                                size_t n, kq_pool *pool)
{
    table_job j;
    kq_status st = table_begin(&j, h, rgb, n,
                               pool && kq_pool_threads(pool) > 1 ? MAX_PARTS
                                                                 : 1);
    if (st != KQ_OK) {
        free_carries(&j);
        return st;
    }
    kq_pool_run(pool, (size_t)j.parts, count_part, &j);
    return table_collect(&j, pool);
}

kq_status kq_histogram_build(const unsigned char *rgb, size_t n,
                             kq_pool *pool, kq_histogram *h)
{
    memset(h, 0, sizeof *h);
    if (n == 0 || n > UINT32_MAX)
        return KQ_ERR_ARGUMENT;
    need_spread_table();
    h->n_pixels = n;
    kq_status st = n < SORT_LIMIT ? build_by_sort(h, rgb, n)
                                  : build_by_table(h, rgb, n, pool);
    if (st != KQ_OK)
        kq_histogram_free(h);
    return st;
}

kq_label *kq_histogram_take_label_buffer(kq_histogram *h)
{
    kq_label *buffer = h->label_buffer;
    h->label_buffer = NULL;
    return buffer;
}

uint32_t kq_colour_morton(const unsigned char rgb[3])
{
    need_spread_table();
    return morton(rgb);
}

uint32_t kq_histogram_index(const kq_histogram *h, const unsigned char *rgb,
                            size_t i)
{
    return h->table ? index_of_code(h, morton(rgb + 3 * i))
                    : h->pixel_index[i];
}

/* Labels that go through the distinct index: label_of[index]. */
static kq_status relabel_by_index(kq_histogram *h, const int32_t *colour_label)
{
    free(h->label_of);
    h->label_of = malloc(sizeof(int32_t) * (h->n_colours ? h->n_colours : 1));
    if (!h->label_of)
        return KQ_ERR_NOMEM;
    memcpy(h->label_of, colour_label, sizeof(int32_t) * h->n_colours);
    return KQ_OK;
}

/* The Morton code of a packed 0xRRGGBB colour. */
static uint32_t code_of_colour(uint32_t packed)
{
    unsigned char rgb[3] = {(unsigned char)(packed >> 16),
                            (unsigned char)(packed >> 8),
                            (unsigned char)packed};
    return morton(rgb);
}

/* Labels below 256 go into the table's bytes, whose counts are spent:
 * byte c holds the label of the colour whose Morton code is c. A cache
 * line covers a 4x4x4 cube of colours, and one lookup replaces the
 * index's three (12 MP, k=256: the labels took 26-30 ms instead of 30-35
 * with 32-bit entries). */
static void byte_table_to(kq_histogram *h, const int32_t *label)
{
    need_spread_table();
    for (size_t u = 0; u < h->n_colours; u++)
        h->table[code_of_colour(h->colour[u])] = (unsigned char)label[u];
}

kq_status kq_histogram_relabel(kq_histogram *h, const int32_t *colour_label,
                               int k)
{
    h->byte_labels = h->table && k <= 256;
    if (!h->byte_labels)
        return relabel_by_index(h, colour_label);
    byte_table_to(h, colour_label);
    return KQ_OK;
}

void kq_histogram_unlabel(kq_histogram *h)
{
    h->byte_labels = false; /* the indices never left the seen bits */
    free(h->label_of);
    h->label_of = NULL;
}

/* The table codes of the m pixels from b, what their lookups read
 * prefetched (label bytes, or the seen and rank words of an index):
 * scattered, they miss the caches, and the misses of a block overlap. */
static void block_codes(const kq_histogram *h, const unsigned char *rgb,
                        size_t b, size_t m, uint32_t *code)
{
    for (size_t i = 0; i < m; i++) {
        code[i] = morton(rgb + 3 * (b + i));
        if (h->byte_labels) {
            __builtin_prefetch(&h->table[code[i]]);
        } else {
            __builtin_prefetch(&h->seen[code[i] >> 6]);
            __builtin_prefetch(&h->rank[code[i] >> 6]);
        }
    }
}

/* The distinct indices of pixels begin..end-1, a block of codes at a
 * time. */
static void table_entries(const kq_histogram *h, const unsigned char *rgb,
                          size_t begin, size_t end, uint32_t *entry)
{
    uint32_t code[CODE_BLOCK];
    for (size_t b = begin; b < end; b += CODE_BLOCK) {
        size_t m = end - b < CODE_BLOCK ? end - b : CODE_BLOCK;
        block_codes(h, rgb, b, m, code);
        for (size_t i = 0; i < m; i++)
            entry[b - begin + i] = index_of_code(h, code[i]);
    }
}

void kq_histogram_indices(const kq_histogram *h, const unsigned char *rgb,
                          size_t begin, size_t end, uint32_t *index)
{
    if (h->table) {
        table_entries(h, rgb, begin, end, index);
        return;
    }
    memcpy(index, h->pixel_index + begin, sizeof(uint32_t) * (end - begin));
}

/* The labels of pixels begin..end-1 from the table's label bytes
 * (k <= 256), a block of codes at a time. */
static void byte_labels(const kq_histogram *h, const unsigned char *rgb,
                        size_t begin, size_t end, kq_label *labels)
{
    uint32_t code[CODE_BLOCK];
    for (size_t b = begin; b < end; b += CODE_BLOCK) {
        size_t m = end - b < CODE_BLOCK ? end - b : CODE_BLOCK;
        block_codes(h, rgb, b, m, code);
        for (size_t i = 0; i < m; i++)
            labels[b - begin + i] = h->table[code[i]];
    }
}

/* label_of[index] of pixels begin..end-1: a block's indices first, their
 * labels prefetched, then the labels (on the table path an index is
 * three dependent loads). */
static void labels_by_index(const kq_histogram *h, const unsigned char *rgb,
                            size_t begin, size_t end, kq_label *labels)
{
    uint32_t index[CODE_BLOCK];
    for (size_t b = begin; b < end; b += CODE_BLOCK) {
        size_t m = end - b < CODE_BLOCK ? end - b : CODE_BLOCK;
        kq_histogram_indices(h, rgb, b, b + m, index);
        for (size_t i = 0; i < m; i++)
            __builtin_prefetch(&h->label_of[index[i]]);
        for (size_t i = 0; i < m; i++)
            labels[b - begin + i] = (kq_label)h->label_of[index[i]];
    }
}

void kq_histogram_labels(const kq_histogram *h, const unsigned char *rgb,
                         size_t begin, size_t end, kq_label *labels)
{
    if (h->byte_labels)
        byte_labels(h, rgb, begin, end, labels);
    else
        labels_by_index(h, rgb, begin, end, labels);
}

/* ---- perf: counting while the image decodes ----
 * libjpeg-turbo decodes on one core, top to bottom, for about as long as
 * the table path takes to count the pixels on another (12 MP: 0.13-0.16 s
 * and 0.165 s). The counter's thread counts each band of rows as soon as
 * the decoder has finished it, so the counting is mostly done when the
 * decode is. Counts do not depend on the order they are added in, and the
 * colours are numbered in code order at the end: the histogram is the
 * one kq_histogram_build makes. */

struct kq_colours_counter {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    bool running;             /* the thread is still to be joined */
    bool closed;              /* no more rows: count what is ready, end */
    bool stop;                /* end now: the rows may be gone */
    bool refused;             /* not counted here (small, or a 2nd image) */
    const unsigned char *rgb; /* the image being decoded, once seen */
    size_t n, ready, counted; /* its pixels; decoded; counted */
    size_t warmed;            /* bytes of h.label_buffer faulted in */
    kq_histogram h;
    table_job j;
};

/* perf: a fit writes every pixel's label once, into fresh memory, and on
 * this machine a page's first write costs far more than the write (the
 * labels pass at 12 MP, k=256 was mostly page faults). The counter counts
 * faster than libjpeg-turbo decodes, so while it waits for rows it
 * faults a label buffer in, 2 MiB at a time (one write per 4 KiB page),
 * and the histogram hands it to the first fit. Called with the lock
 * held; false when there is nothing left to fault in. */
#define WARM_STEP ((size_t)2 << 20)

static bool warm_label_buffer(kq_colours_counter *c)
{
    size_t bytes = c->n * sizeof(kq_label);
    unsigned char *buffer = (unsigned char *)c->h.label_buffer;
    if (!buffer || c->warmed >= bytes)
        return false;
    size_t to = bytes - c->warmed > WARM_STEP ? c->warmed + WARM_STEP : bytes;
    pthread_mutex_unlock(&c->lock);
    for (size_t at = c->warmed; at < to; at += 4096)
        buffer[at] = 0;
    pthread_mutex_lock(&c->lock);
    c->warmed = to;
    return true;
}

static void *counter_main(void *arg)
{
    kq_colours_counter *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->ready == c->counted && !c->closed && !c->stop)
            if (!warm_label_buffer(c))
                pthread_cond_wait(&c->more, &c->lock);
        if (c->stop || c->ready == c->counted)
            break;
        size_t from = c->counted, to = c->ready;
        pthread_mutex_unlock(&c->lock);
        count_range(&c->j, 0, from, to);
        pthread_mutex_lock(&c->lock);
        c->counted = to;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

kq_status kq_colours_counter_start(kq_colours_counter **out)
{
    need_spread_table();
    kq_colours_counter *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return KQ_ERR_NOMEM;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->more, NULL);
    if (pthread_create(&c->thread, NULL, counter_main, c) != 0) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->more);
        free(c);
        return KQ_ERR_INTERNAL;
    }
    c->running = true;
    *out = c;
    return KQ_OK;
}

/* Ends the thread: after what is ready (closed) or at once (stop). */
static void counter_end(kq_colours_counter *c, bool stop)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->lock);
    c->closed = true;
    c->stop = c->stop || stop;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    c->running = false;
}

/* The first rows name the image: the table path's sizes only (below
 * SORT_LIMIT sorting is faster, and sorts need all pixels at once). */
static void counter_begin(kq_colours_counter *c, const unsigned char *rgb,
                          size_t n)
{
    c->rgb = rgb;
    c->n = n;
    c->refused = n < SORT_LIMIT || n > UINT32_MAX ||
                 table_begin(&c->j, &c->h, rgb, n, 1) != KQ_OK;
    if (!c->refused) { /* only a help: none if there is no room */
        c->h.label_buffer = kq_alloc_large(sizeof(kq_label) * n);
    }
}

void kq_colours_counter_rows(void *counter, const unsigned char *rgb,
                             int width, int height, int rows_done)
{
    kq_colours_counter *c = counter;
    if (!rgb) { /* the decode failed: its rows are about to be freed */
        counter_end(c, true);
        c->refused = true;
        return;
    }
    size_t n = (size_t)width * (size_t)height;
    pthread_mutex_lock(&c->lock);
    if (!c->rgb && !c->refused)
        counter_begin(c, rgb, n);
    if (!c->refused && (rgb != c->rgb || n != c->n)) {
        c->stop = c->refused = true; /* not the image it counts */
    } else if (!c->refused && rows_done > 0) {
        size_t ready = (size_t)width * (size_t)rows_done;
        ready = ready < c->n ? ready : c->n;
        c->ready = ready > c->ready ? ready : c->ready; /* never recount */
    }
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
}

kq_status kq_colours_counter_take(kq_colours_counter *c,
                                  const unsigned char *rgb, size_t n,
                                  kq_pool *pool, kq_histogram *h, bool *taken)
{
    *taken = false;
    counter_end(c, false);
    if (c->refused || !c->rgb || rgb != c->rgb || n != c->n)
        return KQ_OK;
    count_range(&c->j, 0, c->counted, n);
    c->counted = n;
    kq_status st = table_collect(&c->j, pool);
    c->refused = true; /* the histogram leaves with the caller */
    if (st != KQ_OK)
        return st;
    *h = c->h;
    h->n_pixels = n;
    memset(&c->h, 0, sizeof c->h);
    *taken = true;
    return KQ_OK;
}

size_t kq_colours_counter_counted(kq_colours_counter *c)
{
    pthread_mutex_lock(&c->lock);
    size_t counted = c->counted;
    pthread_mutex_unlock(&c->lock);
    return counted;
}

void kq_colours_counter_free(kq_colours_counter *c)
{
    if (!c)
        return;
    counter_end(c, true);
    free_carries(&c->j);
    kq_histogram_free(&c->h);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->more);
    free(c);
}
