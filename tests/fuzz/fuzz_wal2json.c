/*
 * fuzz_wal2json: wal2json format-version 2 messages, one per line of the input, through one
 * decoder (decode_wal2json_decode rewrites each message in place, in a copy of its exact size), and
 * every decoded change through change_debug_line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "change.h"
#include "decode_wal2json.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    wal2json_decoder *d = decode_wal2json_create();
    if (!d)
        return 0;
    buf out = BUF_INIT;
    size_t pos = 0;
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        char *msg = fuzz_dup_exact(data + pos, len);
        change c;
        if (decode_wal2json_decode(d, msg, len, &c)) {
            buf_reset(&out);
            change_debug_line(&out, &c);
            if (c.rel)
                decode_wal2json_table_pattern(&out, c.rel->schema, c.rel->table);
        }
        free(msg);
        pos += len + 1;
    }
    buf_term(&out);
    decode_wal2json_destroy(d);
    return 0;
}
