/* testutil.h - helpers shared by the cmocka unit tests. */
#ifndef KQ_TESTUTIL_H
#define KQ_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kquant.h"

/* A new width x height image filled with one colour; free with
 * kq_image_free. */
kq_image kq_test_image(int width, int height, unsigned char r,
                       unsigned char g, unsigned char b);

/* Sets pixel (x, y) of img. */
void kq_test_set_pixel(kq_image *img, int x, int y, unsigned char r,
                       unsigned char g, unsigned char b);

/* The mean absolute difference of n bytes of a and b; the largest in
 * *worst. */
double kq_test_mean_difference(const unsigned char *a, const unsigned char *b,
                               size_t n, int *worst);

/* A fresh path "<TMPDIR>/kq_<tag>_<pid>_<counter><ext>" in buf. */
const char *kq_test_temp_path(char *buf, size_t len, const char *tag,
                              const char *ext);

/* Reads a whole file into a new buffer (free()); NULL if it cannot. */
unsigned char *kq_test_read_file(const char *path, size_t *len);

/* Bytes an encoder writes to memory (stb_image_write's callbacks): start
 * it {0}, free data. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
} kq_test_sink;

/* An stbi_write_func appending to the kq_test_sink ctx. */
void kq_test_sink_write(void *ctx, void *data, int size);

#endif
