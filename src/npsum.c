/* npsum.c - numpy's summation order for a contiguous array of doubles.
 *
 * np.sum (np.add.reduce) does not add left to right: it feeds the array
 * to its inner loop in buffers of 8192 elements and sums each buffer by
 * pairwise summation with eight running partial sums. --sklearn mode must
 * add in that very order to reproduce scikit-learn bit for bit. Written
 * from the algorithm's description (numpy's pairwise_sum). */
#include "kq_internal.h"

#define NP_BUFFER 8192 /* numpy's default ufunc buffer size */
#define NP_PAIRWISE_BLOCK 128

/* Eight interleaved partial sums, combined as a balanced tree, then the
 * leftovers one by one. Needs 8 <= n <= 128. */
static double unrolled_sum(const double *a, size_t n)
{
    double r[8];
    for (int j = 0; j < 8; j++)
        r[j] = a[j];
    size_t i;
    for (i = 8; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++)
        s += a[i];
    return s;
}

double kq_np_pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += a[i];
        return s;
    }
    if (n <= NP_PAIRWISE_BLOCK)
        return unrolled_sum(a, n);
    size_t half = n / 2;
    half -= half % 8;
    return kq_np_pairwise_sum(a, half) + kq_np_pairwise_sum(a + half, n - half);
}

double kq_np_sum(const double *a, size_t n)
{
    double acc = 0.0;
    for (size_t start = 0; start < n; start += NP_BUFFER) {
        size_t len = n - start < NP_BUFFER ? n - start : NP_BUFFER;
        acc += kq_np_pairwise_sum(a + start, len);
    }
    return acc;
}
