/* npselect.c - numpy's np.argpartition order (introselect) for doubles.
 *
 * scikit-learn picks the samples that refill empty clusters with
 * np.argpartition(dist, -n_empty); with ties (more clusters than distinct
 * colours) *which* of the equal samples land in the last places depends on
 * numpy's exact selection steps. This is our own code, written from the
 * algorithm numpy 1.24 describes: quickselect with a median-of-3 pivot and
 * an unguarded Hoare partition, a median-of-medians-of-5 pivot once the
 * depth budget (2 * floor(log2 n)) is spent, a selection sort when kth is
 * among the first three places, and a last-maximum scan when kth is the
 * last place. NaNs are not handled (distances never are NaN). */
#include "kq_internal.h"

typedef ptrdiff_t pos;

static void swap_at(size_t *idx, pos a, pos b)
{
    size_t t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
}

/* Selection sort of the first kth + 1 places of idx[0..num). */
static void select_smallest(const double *v, size_t *idx, pos num, pos kth)
{
    for (pos i = 0; i <= kth; i++) {
        pos min_at = i;
        double min_v = v[idx[i]];
        for (pos j = i + 1; j < num; j++) {
            if (v[idx[j]] < min_v) {
                min_at = j;
                min_v = v[idx[j]];
            }
        }
        swap_at(idx, i, min_at);
    }
}

/* Orders low, mid, high so that the median lands on low and the smallest
 * of the three on low + 1 (a sentinel for the unguarded partition). */
static void median3_to_low(const double *v, size_t *idx, pos low, pos mid,
                           pos high)
{
    if (v[idx[high]] < v[idx[mid]])
        swap_at(idx, high, mid);
    if (v[idx[high]] < v[idx[low]])
        swap_at(idx, high, low);
    if (v[idx[low]] < v[idx[mid]])
        swap_at(idx, low, mid);
    swap_at(idx, mid, low + 1);
}

/* Position (0..4) of the median of idx[0..5), after a few swaps. */
static pos median5(const double *v, size_t *idx)
{
    if (v[idx[1]] < v[idx[0]])
        swap_at(idx, 1, 0);
    if (v[idx[4]] < v[idx[3]])
        swap_at(idx, 4, 3);
    if (v[idx[3]] < v[idx[0]])
        swap_at(idx, 3, 0);
    if (v[idx[4]] < v[idx[1]])
        swap_at(idx, 4, 1);
    if (v[idx[2]] < v[idx[1]])
        swap_at(idx, 2, 1);
    if (v[idx[3]] < v[idx[2]])
        return v[idx[3]] < v[idx[1]] ? 1 : 3;
    return 2;
}

static void introselect(const double *v, size_t *idx, pos num, pos kth);

/* Moves the medians of the groups of five to the front and returns the
 * position of their median. */
static pos median_of_medians5(const double *v, size_t *idx, pos num)
{
    pos groups = num / 5;
    for (pos g = 0; g < groups; g++)
        swap_at(idx, 5 * g + median5(v, idx + 5 * g), g);
    if (groups > 2)
        introselect(v, idx, groups, groups / 2);
    return groups / 2;
}

/* Hoare partition around pivot between *ll and *hh, without bound checks:
 * the caller has placed values on both sides that stop the scans. */
static void unguarded_partition(const double *v, size_t *idx, double pivot,
                                pos *ll, pos *hh)
{
    for (;;) {
        do
            (*ll)++;
        while (v[idx[*ll]] < pivot);
        do
            (*hh)--;
        while (pivot < v[idx[*hh]]);
        if (*hh < *ll)
            return;
        swap_at(idx, *ll, *hh);
    }
}

static int floor_log2(pos n)
{
    int bits = 0;
    while (n >>= 1)
        bits++;
    return bits;
}

/* The last index holding the maximum goes to the last place. */
static void last_max_to_end(const double *v, size_t *idx, pos num)
{
    pos max_at = 0;
    double max_v = v[idx[0]];
    for (pos j = 1; j < num; j++) {
        if (!(v[idx[j]] < max_v)) {
            max_at = j;
            max_v = v[idx[j]];
        }
    }
    swap_at(idx, num - 1, max_at);
}

static void introselect(const double *v, size_t *idx, pos num, pos kth)
{
    pos low = 0, high = num - 1;
    if (kth < 3) {
        select_smallest(v, idx, num, kth);
        return;
    }
    if (kth == num - 1) {
        last_max_to_end(v, idx, num);
        return;
    }
    int depth = 2 * floor_log2(num);
    while (low + 1 < high) {
        pos ll = low + 1, hh = high;
        if (depth > 0 || hh - ll < 5) {
            median3_to_low(v, idx, low, low + (high - low) / 2, high);
        } else {
            pos mid = ll + median_of_medians5(v, idx + ll, hh - ll);
            swap_at(idx, mid, low);
            ll--; /* no sentinels from median3: widen the scan */
            hh++;
        }
        depth--;
        unguarded_partition(v, idx, v[idx[low]], &ll, &hh);
        swap_at(idx, low, hh); /* the pivot to its final place */
        if (hh >= kth)
            high = hh - 1;
        if (hh <= kth)
            low = ll;
    }
    if (high == low + 1 && v[idx[high]] < v[idx[low]])
        swap_at(idx, high, low);
}

void kq_np_argpartition(const double *values, size_t n, size_t kth,
                        size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n > 1)
        introselect(values, order, (pos)n, (pos)kth);
}
