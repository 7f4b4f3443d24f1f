/* test_deflate_join.c - raw deflate streams made by libdeflate, each but
 * the last made joinable, follow each other as one stream that inflates
 * to their inputs in order; what is not one whole stream is refused and
 * left as it was. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#define MAX_PIECES 6

typedef struct {
    unsigned char *data;
    size_t len;
} piece;

/* Bytes of a few kinds, so the streams hold dynamic, fixed and stored
 * blocks: text-like runs with noise (`noisy` in 256 bytes differ), or
 * random bytes (noisy 256: incompressible, stored blocks). */
static piece make_piece(size_t len, unsigned noisy, uint32_t seed)
{
    piece p = {malloc(len ? len : 1), len};
    assert_non_null(p.data);
    uint32_t r = seed;
    for (size_t i = 0; i < len; i++) {
        r = r * 1103515245u + 12345u;
        bool noise = (r >> 16 & 255u) < noisy;
        p.data[i] = noise ? (unsigned char)(r >> 24)
                          : (unsigned char)("kquant colours "[i % 15]);
    }
    return p;
}

/* Deflates p at level; the stream made joinable unless last. */
static piece deflate_piece(piece p, int level, bool last, size_t *plain)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    assert_non_null(c);
    size_t room = libdeflate_deflate_compress_bound(c, p.len) +
                  KQ_DEFLATE_JOIN_EXTRA;
    piece out = {malloc(room), 0};
    assert_non_null(out.data);
    out.len = libdeflate_deflate_compress(c, p.data, p.len, out.data, room);
    assert_true(out.len > 0);
    *plain = out.len;
    if (!last) {
        out.len = kq_deflate_make_joinable(out.data, out.len, room);
        assert_true(out.len > *plain);
        assert_true(out.len <= *plain + KQ_DEFLATE_JOIN_EXTRA);
        assert_memory_equal(out.data + out.len - 4, "\x00\x00\xff\xff", 4);
    }
    libdeflate_free_compressor(c);
    return out;
}

/* Raw-inflates all of data into out (at most cap bytes); zlib's code. */
static int inflate_all(const unsigned char *data, size_t len,
                       unsigned char *out, size_t cap, size_t *got)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, -15), Z_OK);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    *got = z.total_out;
    inflateEnd(&z);
    return rc;
}

/* The pieces deflated apart and joined inflate to their concatenation,
 * which ends where the last piece's stream does. */
static void check_join(const piece *pieces, int n, int level)
{
    size_t total = 0, joined_len = 0;
    piece deflated[MAX_PIECES];
    for (int i = 0; i < n; i++) {
        size_t plain;
        deflated[i] = deflate_piece(pieces[i], level, i == n - 1, &plain);
        total += pieces[i].len;
        joined_len += deflated[i].len;
    }
    unsigned char *joined = malloc(joined_len), *want = malloc(total + 1),
                  *got = malloc(total + 64);
    assert_true(joined && want && got);
    size_t at = 0, wat = 0;
    for (int i = 0; i < n; i++) {
        memcpy(joined + at, deflated[i].data, deflated[i].len);
        at += deflated[i].len;
        memcpy(want + wat, pieces[i].data, pieces[i].len);
        wat += pieces[i].len;
        free(deflated[i].data);
    }
    size_t got_len;
    assert_int_equal(inflate_all(joined, joined_len, got, total + 64, &got_len),
                     Z_STREAM_END);
    assert_int_equal(got_len, total);
    assert_memory_equal(got, want, total);
    free(joined);
    free(want);
    free(got);
}

static void joined_streams_inflate_to_their_inputs_in_order(void **state)
{
    (void)state;
    piece p[MAX_PIECES] = {
        make_piece(300000, 40, 1), /* several dynamic blocks */
        make_piece(70000, 256, 2), /* random: stored blocks */
        make_piece(1, 0, 3),       make_piece(0, 0, 4),
        make_piece(5000, 3, 5),    make_piece(123457, 256, 6)};
    static const int levels[] = {1, 4, 6, 12};
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        check_join(p, MAX_PIECES, levels[l]);
        check_join(p + 2, 2, levels[l]); /* 1 byte, then 0 bytes */
        check_join(p + 1, 1, levels[l]); /* one stream: nothing to join */
        piece swapped[2] = {p[5], p[0]};
        check_join(swapped, 2, levels[l]);
    }
    for (int i = 0; i < MAX_PIECES; i++)
        free(p[i].data);
}

/* A joinable stream no longer ends by itself, but still holds its input. */
static void a_joinable_stream_does_not_end(void **state)
{
    (void)state;
    piece p = make_piece(20000, 20, 7);
    size_t plain, got_len;
    piece d = deflate_piece(p, 4, false, &plain);
    unsigned char *got = malloc(p.len + 64);
    assert_non_null(got);
    assert_int_equal(inflate_all(d.data, d.len, got, p.len + 64, &got_len),
                     Z_BUF_ERROR);
    assert_int_equal(got_len, p.len);
    assert_memory_equal(got, p.data, p.len);
    free(got);
    free(d.data);
    free(p.data);
}

/* Not one whole stream, or too little room: 0, and the bytes untouched. */
static void what_is_not_one_stream_is_refused(void **state)
{
    (void)state;
    piece p = make_piece(50000, 30, 8);
    size_t plain;
    piece d = deflate_piece(p, 4, true, &plain);
    unsigned char *copy = malloc(d.len + KQ_DEFLATE_JOIN_EXTRA);
    assert_non_null(copy);
    memcpy(copy, d.data, d.len);
    size_t room = d.len + KQ_DEFLATE_JOIN_EXTRA;
    /* truncated */
    assert_int_equal(kq_deflate_make_joinable(copy, d.len - 1, room), 0);
    /* followed by more bytes */
    assert_int_equal(kq_deflate_make_joinable(copy, d.len + 1, room), 0);
    /* short of room */
    assert_int_equal(kq_deflate_make_joinable(copy, d.len, d.len + 4), 0);
    assert_memory_equal(copy, d.data, d.len);
    /* not deflate: a reserved block type (BTYPE 11) */
    unsigned char junk[16] = {0x07, 1, 2, 3, 4, 5, 6, 7};
    unsigned char before[16];
    memcpy(before, junk, sizeof junk);
    assert_int_equal(kq_deflate_make_joinable(junk, 8, sizeof junk), 0);
    assert_memory_equal(junk, before, sizeof junk);
    /* the same stream, whole, is accepted */
    assert_true(kq_deflate_make_joinable(copy, d.len, room) > d.len);
    free(copy);
    free(d.data);
    free(p.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joined_streams_inflate_to_their_inputs_in_order),
        cmocka_unit_test(a_joinable_stream_does_not_end),
        cmocka_unit_test(what_is_not_one_stream_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
