/*
 * fuzz_pgoutput: pgoutput (proto_version 1) messages through one decoder, so that Relation
 * messages fill the cache the later changes use. The input is a sequence of frames: a 2-byte
 * big-endian length, then that many bytes (the last frame takes what is left when shorter).
 * Each message is decoded from a copy of its exact size; every decoded change goes through
 * change_debug_line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "change.h"
#include "decode_pgoutput.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    pgoutput_decoder *d = decode_pgoutput_create();
    if (!d)
        return 0;
    buf out = BUF_INIT;
    size_t pos = 0;
    while (pos + 2 <= size) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        char *msg = fuzz_dup_exact(data + pos, len);
        change c;
        if (decode_pgoutput_decode(d, msg, len, &c)) {
            buf_reset(&out);
            change_debug_line(&out, &c);
            if (c.rel)
                (void)decode_pgoutput_relation(d, c.rel->oid);
        }
        free(msg);
        pos += len;
    }
    buf_term(&out);
    decode_pgoutput_destroy(d);
    return 0;
}
