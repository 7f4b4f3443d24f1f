/* test_util.c - helpers shared by the cmocka unit tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

kq_image kq_test_image(int width, int height, unsigned char r,
                       unsigned char g, unsigned char b)
{
    kq_image img = {.width = width,
                    .height = height,
                    .rgb = malloc((size_t)width * height * 3)};
    assert_non_null(img.rgb);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            kq_test_set_pixel(&img, x, y, r, g, b);
    return img;
}

void kq_test_set_pixel(kq_image *img, int x, int y, unsigned char r,
                       unsigned char g, unsigned char b)
{
    unsigned char *p = &img->rgb[3 * ((size_t)y * img->width + x)];
    p[0] = r;
    p[1] = g;
    p[2] = b;
}

double kq_test_mean_difference(const unsigned char *a, const unsigned char *b,
                               size_t n, int *worst)
{
    long total = 0;
    *worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        total += d;
        *worst = d > *worst ? d : *worst;
    }
    return (double)total / (double)n;
}

const char *kq_test_temp_path(char *buf, size_t len, const char *tag,
                              const char *ext)
{
    static int counter;
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/kq_%s_%ld_%d%s", dir ? dir : "/tmp", tag,
             (long)getpid(), counter++, ext);
    return buf;
}

unsigned char *kq_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, used = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + used, 1, cap - used, f)) > 0) {
        used += got;
        if (used == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    *len = used;
    return buf;
}

void kq_test_sink_write(void *ctx, void *data, int size)
{
    kq_test_sink *s = ctx;
    if (s->len + (size_t)size > s->cap) {
        s->cap = (s->len + (size_t)size) * 2;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    memcpy(s->data + s->len, data, (size_t)size);
    s->len += (size_t)size;
}
