/* neighbours.c - every centre's list of all centres, nearest first.
 *
 * At large k, Hamerly's bounds still leave many points near a Voronoi
 * boundary to a full scan of the k centres, although only centres near
 * the point's own centre can be its nearest or second nearest: a centre j
 * is at least |c_a c_j| - |x c_a| from x. With the own centre's
 * neighbours sorted by distance, a scan stops at the first group that
 * cannot beat the second nearest found (see nearest.c). Rows are sorted
 * once, then kept between iterations: centres move little, so insertion
 * sort of the last order costs about one pass. */
#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kq_neighbours_free(kq_neighbours *nb)
{
    free(nb->order);
    free(nb->x);
    free(nb->floor);
    free(nb->gap2);
    memset(nb, 0, sizeof *nb);
}

kq_status kq_neighbours_init(kq_neighbours *nb, int k)
{
    memset(nb, 0, sizeof *nb);
    if (k < 1 || k > KQ_NB_MAX_K)
        return KQ_ERR_ARGUMENT;
    size_t stride = ((size_t)k + KQ_NB_GROUP - 1) / KQ_NB_GROUP * KQ_NB_GROUP;
    size_t cells = (size_t)k * stride, kk = (size_t)k;
    nb->k = k;
    nb->stride = (int)stride;
    nb->order = malloc(sizeof(int32_t) * cells);
    nb->x = malloc(sizeof(float) * 3 * cells);
    nb->floor = malloc(sizeof(double) * cells / KQ_NB_GROUP);
    nb->gap2 = malloc(sizeof(double) * kk);
    if (!nb->order || !nb->x || !nb->floor || !nb->gap2) {
        kq_neighbours_free(nb);
        return KQ_ERR_NOMEM;
    }
    nb->y = nb->x + cells;
    nb->z = nb->y + cells;
    for (size_t a = 0; a < kk; a++) /* the padding stays at the end */
        for (size_t r = kk; r < stride; r++)
            nb->order[a * stride + r] = INT32_MAX;
    return KQ_OK;
}

/* Squared distances from centre a to every centre, in double: exact
 * differences of floats, so the floors below are true bounds up to the
 * slack (and the same values as kmeans.c's half gaps). */
static void row_distances(double *d2, const kq_centres_f *c, size_t a)
{
    double xa = c->x[a], ya = c->y[a], za = c->z[a];
    for (int j = 0; j < c->k; j++) {
        double dx = xa - c->x[j], dy = ya - c->y[j], dz = za - c->z[j];
        d2[j] = dx * dx + dy * dy + dz * dz;
    }
}

/* The first sort of a row: insertion sort from an arbitrary order would
 * move about k^2/4 entries (at k=1024 the first update took 172 ms, the
 * later ones 4 ms each), and a comparison sort of a random row
 * mispredicts half its branches (qsort: 6 ms at k=256, 107 ms at k=1024,
 * serially). This is a stable radix sort of the squared distances' bits,
 * a byte at a time: for doubles >= 0 the bits order as the values do, and
 * the row starts in index order, so ties keep the lower index first (the
 * order of sorting by distance, then index). Bytes that all keys share
 * (the exponent's, mostly) need no pass. */
#define RADIX_BYTES 8

static void count_bytes(const uint64_t *key, int k,
                        uint32_t count[RADIX_BYTES][256])
{
    memset(count, 0, sizeof(uint32_t) * RADIX_BYTES * 256);
    for (int q = 0; q < k; q++)
        for (int b = 0; b < RADIX_BYTES; b++)
            count[b][(key[q] >> (8 * b)) & 0xFF]++;
}

/* One stable pass on byte b: from (key, idx) into (key_to, idx_to). */
static void radix_pass(const uint64_t *key, const int32_t *idx, int k, int b,
                       const uint32_t count[256], uint64_t *key_to,
                       int32_t *idx_to)
{
    uint32_t at[256], sum = 0;
    for (int v = 0; v < 256; v++) {
        at[v] = sum;
        sum += count[v];
    }
    for (int q = 0; q < k; q++) {
        uint32_t to = at[(key[q] >> (8 * b)) & 0xFF]++;
        key_to[to] = key[q];
        idx_to[to] = idx[q];
    }
}

static void first_sort_row(int32_t *order, const double *d2_row, int k)
{
    uint64_t key[2][KQ_NB_MAX_K];
    int32_t idx[2][KQ_NB_MAX_K];
    uint32_t count[RADIX_BYTES][256];
    for (int q = 0; q < k; q++) {
        memcpy(&key[0][q], &d2_row[q], sizeof(uint64_t));
        idx[0][q] = q;
    }
    count_bytes(key[0], k, count);
    int from = 0;
    for (int b = 0; b < RADIX_BYTES; b++) {
        if (count[b][(key[from][0] >> (8 * b)) & 0xFF] == (uint32_t)k)
            continue; /* one value: the pass would change nothing */
        radix_pass(key[from], idx[from], k, b, count[b], key[1 - from],
                   idx[1 - from]);
        from = 1 - from;
    }
    memcpy(order, idx[from], sizeof(int32_t) * (size_t)k);
}

/* Later sorts start from the last order, which centres that moved a
 * little leave almost sorted (12 MP, k=256: 11% of the entries move). The
 * largest distance so far stays in a register, so an entry already in
 * place costs no load of the one before it: that load waited on the
 * store of the previous step and made the sort a chain of memory round
 * trips (half the lists' update). */
static void sort_row(int32_t *order, const double *d2_row, int k)
{
    double largest = d2_row[order[0]];
    for (int r = 1; r < k; r++) {
        int32_t j = order[r];
        double d = d2_row[j];
        if (!(largest > d)) {
            largest = d;
            continue;
        }
        int at = r;
        while (at > 0 && d2_row[order[at - 1]] > d) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = j;
    }
}

/* Row a's coordinates in list order (padding at +inf, never nearest) and
 * each group's floor: its first entry is its nearest to centre a (d2: the
 * row's squared distances). */
static void fill_row(kq_neighbours *nb, const kq_centres_f *c,
                     kq_list_coords_fn list_coords, size_t a, const double *d2)
{
    size_t stride = (size_t)nb->stride, kk = (size_t)nb->k;
    const int32_t *order = nb->order + a * stride;
    list_coords(c, order, nb->stride, nb->x + a * stride, nb->y + a * stride,
                nb->z + a * stride);
    for (size_t g = 0; g < stride / KQ_NB_GROUP; g++) {
        size_t r = g * KQ_NB_GROUP;
        nb->floor[a * stride / KQ_NB_GROUP + g] =
            r < kk ? sqrt(d2[order[r]]) *
                             (1.0 - KQ_SLACK_REL) - KQ_SLACK_ABS
                   : INFINITY;
    }
}

typedef struct {
    kq_neighbours *nb;
    const kq_centres_f *c;
    kq_list_coords_fn list_coords;
} update_job;

#define ROWS_PER_TASK 32

static void update_rows(void *ctx, size_t t)
{
    update_job *job = ctx;
    kq_neighbours *nb = job->nb;
    size_t kk = (size_t)nb->k, end = (t + 1) * ROWS_PER_TASK;
    double d2[KQ_NB_MAX_K];
    for (size_t a = t * ROWS_PER_TASK; a < end && a < kk; a++) {
        int32_t *order = nb->order + a * (size_t)nb->stride;
        row_distances(d2, job->c, a);
        if (nb->sorted)
            sort_row(order, d2, nb->k);
        else
            first_sort_row(order, d2, nb->k);
        fill_row(nb, job->c, job->list_coords, a, d2);
        /* the nearest other centre: a itself is first unless it has a twin */
        nb->gap2[a] = d2[order[order[0] == (int32_t)a ? 1 : 0]];
    }
}

void kq_neighbours_update(kq_neighbours *nb, const kq_centres_f *c,
                          kq_list_coords_fn list_coords, kq_pool *pool)
{
    update_job job = {nb, c, list_coords};
    size_t tasks = ((size_t)nb->k + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    kq_pool_run(pool, tasks, update_rows, &job);
    nb->sorted = true;
}
