/* deflate_join.c - makes a finished raw deflate stream joinable, so that
 * streams deflated apart (the segments of a large palette PNG, each on a
 * thread, by libdeflate, which has no flush) follow each other as one.
 *
 * A deflate stream ends with the block whose BFINAL bit is set, and its
 * end code need not end on a byte boundary. Joining clears that bit and
 * puts an empty stored block after the end code (BFINAL 0, BTYPE 00, then
 * the byte boundary and LEN 0, NLEN 0xFFFF: the bytes of zlib's sync
 * flush), so the next stream starts on a byte of its own. Where the last
 * block starts is only known by decoding the blocks before it: zlib's
 * inflate stops at every block boundary with Z_BLOCK and tells how many
 * bits of its last byte it left unused, as zlib's examples/gzjoin.c uses
 * it. The decoding also checks the stream. */
#include "kq_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define SINK_BYTES 16384 /* inflate's output, thrown away */

/* The bit of data at bit position `at` (deflate packs bits LSB first). */
static int bit_at(const unsigned char *data, size_t at)
{
    return data[at / 8] >> (at % 8) & 1;
}

/* Inflates up to the next block boundary; Z_OK there, else inflate's
 * error or Z_STREAM_END. */
static int inflate_block(z_stream *z, unsigned char *sink)
{
    int rc;
    do {
        z->next_out = sink;
        z->avail_out = SINK_BYTES;
        rc = inflate(z, Z_BLOCK);
    } while (rc == Z_OK && !(z->data_type & 128));
    return rc;
}

/* The bit positions of the final block's header and of the end of its
 * end code; false when data is not one whole raw deflate stream. */
static bool find_final_block(const unsigned char *data, size_t bytes,
                             size_t *header, size_t *end)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    unsigned char *sink = malloc(SINK_BYTES);
    if (!sink || bytes > UINT32_MAX || inflateInit2(&z, -15) != Z_OK) {
        free(sink);
        return false;
    }
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)bytes;
    size_t at = 0; /* the next block's header */
    bool found = false;
    while (!found && at / 8 < bytes) {
        bool final = bit_at(data, at);
        if (inflate_block(&z, sink) != Z_OK)
            break;
        size_t next = (size_t)z.total_in * 8 - (size_t)(z.data_type & 7);
        if (final) {
            *header = at;
            *end = next;
            found = true;
        }
        at = next;
    }
    inflateEnd(&z);
    free(sink);
    return found && (*end + 7) / 8 == bytes;
}

size_t kq_deflate_make_joinable(unsigned char *data, size_t bytes,
                                size_t room)
{
    size_t header, end;
    if (room < bytes + KQ_DEFLATE_JOIN_EXTRA ||
        !find_final_block(data, bytes, &header, &end))
        return 0;
    data[header / 8] &= (unsigned char)~(1u << (header % 8));
    if (end % 8) /* the bits after the end code: BFINAL 0, BTYPE 00 */
        data[end / 8] &= (unsigned char)((1u << (end % 8)) - 1u);
    size_t aligned = (end + 3 + 7) / 8; /* after those 3 bits, padded */
    for (size_t i = (end + 7) / 8; i < aligned; i++)
        data[i] = 0;
    static const unsigned char empty_stored[4] = {0x00, 0x00, 0xFF, 0xFF};
    memcpy(data + aligned, empty_stored, sizeof empty_stored);
    return aligned + sizeof empty_stored;
}
