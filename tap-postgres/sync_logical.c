/* Placeholder until LOG_BASED replication lands: the interface is in sync_logical.h. */
#include "sync_logical.h"

#include "exit_codes.h"
#include "log.h"

bool sync_logical_run(tap_run *run, tap_stream *const *streams, size_t n)
{
    log_error("LOG_BASED replication is not implemented yet (%zu stream%s, first \"%s\")", n,
              n == 1 ? "" : "s", n ? streams[0]->tap_stream_id : "");
    return tap_fail(run, EXIT_BAD_CONFIG);
}
