/* color.c - perceptual colour: sRGB to CIE L*a*b*, CIEDE2000 differences
 * and relative luminance.
 *
 * CIEDE2000 follows the equations of G. Sharma, W. Wu and E. N. Dalal,
 * "The CIEDE2000 color-difference formula: implementation notes,
 * supplementary test data, and mathematical observations", Color Research
 * and Application 30(1), 2005, with kL = kC = kH = 1; angles in degrees. */
#include "kq_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define PI 3.14159265358979323846
#define POW25_7 6103515625.0 /* 25^7 */

/* sRGB (IEC 61966-2-1) linear RGB -> XYZ. */
static const double SRGB_TO_XYZ[3][3] = {
    {0.4124564, 0.3575761, 0.1804375},
    {0.2126729, 0.7151522, 0.0721750},
    {0.0193339, 0.1191920, 0.9503041},
};

static double degrees(double radians) { return radians * (180.0 / PI); }
static double radians(double deg) { return deg * (PI / 180.0); }

/* The sRGB transfer curve undone: 8-bit value -> linear light 0..1. */
static double linearise(unsigned char v)
{
    double c = v / 255.0;
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

/* CIE's f(t) of the L*a*b* definition. */
static double lab_f(double t)
{
    const double delta = 6.0 / 29.0;
    return t > delta * delta * delta ? cbrt(t)
                                     : t / (3.0 * delta * delta) + 4.0 / 29.0;
}

static void linear_to_lab(const double lin[3], double lab[3])
{
    double f[3];
    for (int row = 0; row < 3; row++) {
        const double *m = SRGB_TO_XYZ[row];
        double white = m[0] + m[1] + m[2]; /* XYZ of RGB white, row-wise */
        f[row] = lab_f((m[0] * lin[0] + m[1] * lin[1] + m[2] * lin[2]) /
                       white);
    }
    lab[0] = 116.0 * f[1] - 16.0;
    lab[1] = 500.0 * (f[0] - f[1]);
    lab[2] = 200.0 * (f[1] - f[2]);
}

void kq_color_srgb_to_lab(const unsigned char rgb[3], double lab_out[3])
{
    double lin[3] = {linearise(rgb[0]), linearise(rgb[1]), linearise(rgb[2])};
    linear_to_lab(lin, lab_out);
}

double kq_color_luminance(const unsigned char rgb[3])
{
    return 0.2126 * linearise(rgb[0]) + 0.7152 * linearise(rgb[1]) +
           0.0722 * linearise(rgb[2]);
}

/* Hue angle in degrees 0..360 of (a, b); 0 for the achromatic axis. */
static double hue_angle(double b, double a)
{
    if (a == 0.0 && b == 0.0)
        return 0.0;
    double h = degrees(atan2(b, a));
    return h < 0.0 ? h + 360.0 : h;
}

/* One colour after the paper's steps 1-2: C', h'. */
typedef struct {
    double L, c, h;
} lch_prime;

static lch_prime to_prime(const double lab[3], double g)
{
    double a = (1.0 + g) * lab[1];
    return (lch_prime){lab[0], sqrt(a * a + lab[2] * lab[2]),
                       hue_angle(lab[2], a)};
}

/* Delta h' (eq. 10) and the mean hue h-bar' (eq. 14). */
static void hue_terms(lch_prime p1, lch_prime p2, double *dh, double *h_mean)
{
    double diff = p2.h - p1.h, sum = p1.h + p2.h;
    if (p1.c * p2.c == 0.0) {
        *dh = 0.0;
        *h_mean = sum;
        return;
    }
    *dh = diff > 180.0 ? diff - 360.0 : diff < -180.0 ? diff + 360.0 : diff;
    if (fabs(diff) <= 180.0)
        *h_mean = sum / 2.0;
    else
        *h_mean = sum < 360.0 ? (sum + 360.0) / 2.0 : (sum - 360.0) / 2.0;
}

double kq_color_ciede2000(const double lab1[3], const double lab2[3])
{
    double c_mean = (hypot(lab1[1], lab1[2]) + hypot(lab2[1], lab2[2])) / 2;
    double c7 = pow(c_mean, 7.0);
    double g = 0.5 * (1.0 - sqrt(c7 / (c7 + POW25_7)));
    lch_prime p1 = to_prime(lab1, g), p2 = to_prime(lab2, g);

    double dh, h_mean;
    hue_terms(p1, p2, &dh, &h_mean);
    double dL = p2.L - p1.L, dC = p2.c - p1.c;
    double dH = 2.0 * sqrt(p1.c * p2.c) * sin(radians(dh / 2.0));

    double L_mean = (p1.L + p2.L) / 2.0, cp_mean = (p1.c + p2.c) / 2.0;
    double t = 1.0 - 0.17 * cos(radians(h_mean - 30.0)) +
               0.24 * cos(radians(2.0 * h_mean)) +
               0.32 * cos(radians(3.0 * h_mean + 6.0)) -
               0.20 * cos(radians(4.0 * h_mean - 63.0));
    double d_theta = 30.0 * exp(-pow((h_mean - 275.0) / 25.0, 2.0));
    double cp7 = pow(cp_mean, 7.0);
    double r_c = 2.0 * sqrt(cp7 / (cp7 + POW25_7));
    double l50 = (L_mean - 50.0) * (L_mean - 50.0);
    double s_l = 1.0 + 0.015 * l50 / sqrt(20.0 + l50);
    double s_c = 1.0 + 0.045 * cp_mean;
    double s_h = 1.0 + 0.015 * cp_mean * t;
    double r_t = -sin(radians(2.0 * d_theta)) * r_c;

    double tl = dL / s_l, tc = dC / s_c, th = dH / s_h;
    return sqrt(tl * tl + tc * tc + th * th + r_t * tc * th);
}

/* Photos repeat colour pairs (a 2 MP photo has ~100k distinct colours and
 * k outputs), and one CIEDE2000 costs ~300 ns of cbrt, atan2, cos and pow:
 * a direct-mapped memo of pair -> difference makes the per-pixel loop
 * mostly lookups. It returns the very value computed, so results do not
 * depend on it. */
#define MEMO_BITS 16

typedef struct {
    uint64_t key[1u << MEMO_BITS]; /* pair + 1; 0 = empty */
    double value[1u << MEMO_BITS];
    double lin[256];
} delta_e_memo;

static double pair_delta_e(delta_e_memo *m, const unsigned char *pa,
                           const unsigned char *pb)
{
    uint64_t key = ((uint64_t)pa[0] << 40 | (uint64_t)pa[1] << 32 |
                    (uint64_t)pa[2] << 24 | (uint64_t)pb[0] << 16 |
                    (uint64_t)pb[1] << 8 | pb[2]) + 1;
    size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - MEMO_BITS));
    if (m->key[slot] == key)
        return m->value[slot];
    double la[3] = {m->lin[pa[0]], m->lin[pa[1]], m->lin[pa[2]]};
    double lb[3] = {m->lin[pb[0]], m->lin[pb[1]], m->lin[pb[2]]};
    double lab_a[3], lab_b[3];
    linear_to_lab(la, lab_a);
    linear_to_lab(lb, lab_b);
    m->key[slot] = key;
    m->value[slot] = kq_color_ciede2000(lab_a, lab_b);
    return m->value[slot];
}

/* lin[v]: 8-bit value v in linear light. */
static void fill_linear(double lin[256])
{
    for (int v = 0; v < 256; v++)
        lin[v] = linearise((unsigned char)v);
}

/* The L*a*b* value of a packed 0xRRGGBB colour. */
static void lab_of_packed(const double *lin, uint32_t c, double lab[3])
{
    double l[3] = {lin[c >> 16], lin[(c >> 8) & 255], lin[c & 255]};
    linear_to_lab(l, lab);
}

/* The pixel-by-pixel mean and max (any pair of images). */
static void delta_e_by_pixel(delta_e_memo *memo, const unsigned char *a,
                             const unsigned char *b, size_t n, double *mean,
                             double *max)
{
    double sum = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = pair_delta_e(memo, &a[3 * i], &b[3 * i]);
        sum += d;
        worst = d > worst ? d : worst;
    }
    *mean = n ? sum / (double)n : 0.0;
    *max = worst;
}

/* out[u] = 1 + b's colour (packed) for a's distinct colour u, when every
 * pixel of that colour has the same colour in b; false otherwise. The
 * pixels' distinct indices come a block at a time, where the histogram
 * prefetches its table (12 MP: 0.19 s one lookup at a time). */
#define MAP_BLOCK 2048

static bool colour_map(const kq_histogram *h, const unsigned char *a,
                       const unsigned char *b, size_t n, uint32_t *out)
{
    uint32_t index[MAP_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += MAP_BLOCK) {
        size_t m = n - i0 < MAP_BLOCK ? n - i0 : MAP_BLOCK;
        kq_histogram_indices(h, a, i0, i0 + m, index);
        for (size_t q = 0; q < m; q++) {
            const unsigned char *p = &b[3 * (i0 + q)];
            uint32_t c =
                1 + ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]);
            uint32_t *slot = &out[index[q]];
            if (*slot != 0 && *slot != c)
                return false;
            *slot = c;
        }
    }
    return true;
}

/* The L*a*b* values of the output colours, one conversion per distinct
 * colour (a recolouring has k of them): direct-mapped on the packed
 * colour. */
#define OUT_LAB_BITS 12

typedef struct {
    uint32_t key[1u << OUT_LAB_BITS]; /* colour + 1; 0 = empty */
    double lab[1u << OUT_LAB_BITS][3];
} out_lab_cache;

static const double *out_lab(out_lab_cache *cache, const double *lin,
                             uint32_t colour)
{
    size_t slot = (colour * 2654435761u) >> (32 - OUT_LAB_BITS);
    if (cache->key[slot] != colour + 1) {
        lab_of_packed(lin, colour, cache->lab[slot]);
        cache->key[slot] = colour + 1;
    }
    return cache->lab[slot];
}

/* The distinct colours' L*a*b* values, converted on first use and kept
 * with the colours for the next k's Delta E. */
static const double *colours_lab(kq_colours *colours, const kq_histogram *h,
                                 const double *lin)
{
    double **lab = kq_colours_lab(colours);
    if (*lab)
        return *lab;
    *lab = malloc(sizeof(double) * 3 * (h->n_colours ? h->n_colours : 1));
    for (size_t u = 0; *lab && u < h->n_colours; u++)
        lab_of_packed(lin, h->colour[u], *lab + 3 * u);
    return *lab;
}

/* A recoloured image gives every pixel of one colour the same new colour:
 * then CIEDE2000 (~300 ns of cbrt, atan2, cos and pow) is needed once per
 * distinct colour, weighted by its count, not once per pixel (12 MP with
 * 409,000 colours: 1.7 s -> 0.4 s), and the input colours' L*a*b* values
 * serve every k of a sweep. *done is false when b is no such recolouring
 * of the colours' pixels. */
static kq_status delta_e_by_colour(kq_colours *colours, const double *lin,
                                   const unsigned char *b, double *mean,
                                   double *max, bool *done)
{
    const unsigned char *a;
    size_t n;
    const kq_histogram *h = kq_colours_histogram(colours, &a, &n);
    uint32_t *out = calloc(h->n_colours, sizeof *out);
    out_lab_cache *cache = calloc(1, sizeof *cache);
    const double *lab_a = colours_lab(colours, h, lin);
    kq_status st = out && cache && lab_a ? KQ_OK : KQ_ERR_NOMEM;
    *done = st == KQ_OK && colour_map(h, a, b, n, out);
    double sum = 0.0, worst = 0.0;
    for (size_t u = 0; *done && u < h->n_colours; u++) {
        double d = kq_color_ciede2000(lab_a + 3 * u,
                                      out_lab(cache, lin, out[u] - 1));
        sum += d * h->count[u]; /* in colour order: the same on every run */
        worst = d > worst ? d : worst;
    }
    *mean = n ? sum / (double)n : 0.0;
    *max = worst;
    free(out);
    free(cache);
    return st;
}

/* Delta E pixel by pixel, through a memo of colour pairs. */
static kq_status delta_e_pixels(const unsigned char *a, const unsigned char *b,
                                size_t n, double *mean, double *max)
{
    delta_e_memo *memo = calloc(1, sizeof *memo);
    if (!memo)
        return KQ_ERR_NOMEM;
    fill_linear(memo->lin);
    delta_e_by_pixel(memo, a, b, n, mean, max);
    free(memo);
    return KQ_OK;
}

kq_status kq_quality_delta_e_colours(kq_colours *colours, const kq_image *b,
                                     double *mean, double *max)
{
    const unsigned char *a;
    size_t n;
    kq_colours_histogram(colours, &a, &n);
    if (!b->rgb || b->width < 0 || b->height < 0 ||
        (size_t)b->width * (size_t)b->height != n)
        return KQ_ERR_ARGUMENT;
    double lin[256];
    fill_linear(lin);
    bool done = false;
    kq_status st = delta_e_by_colour(colours, lin, b->rgb, mean, max, &done);
    if (st == KQ_OK && !done)
        st = delta_e_pixels(a, b->rgb, n, mean, max);
    return st;
}

kq_status kq_quality_delta_e(const kq_image *a, const kq_image *b,
                             double *mean, double *max)
{
    if (a->width != b->width || a->height != b->height || !a->rgb || !b->rgb)
        return KQ_ERR_ARGUMENT;
    size_t n = (size_t)a->width * (size_t)a->height;
    if (n == 0 || n > UINT32_MAX) /* the histogram counts up to 2^32 */
        return delta_e_pixels(a->rgb, b->rgb, n, mean, max);
    kq_colours *colours;
    kq_status st = kq_colours_count(a->rgb, n, 1, &colours);
    if (st == KQ_OK)
        st = kq_quality_delta_e_colours(colours, b, mean, max);
    kq_colours_free(colours);
    return st;
}
