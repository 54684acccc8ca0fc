/*
 * exit_codes: the exit codes of both programs. Only main.c calls exit().
 */
#ifndef SINGER_EXIT_CODES_H
#define SINGER_EXIT_CODES_H

#define EXIT_OK 0
#define EXIT_BAD_ARGS 2      /* unknown option, missing file argument */
#define EXIT_BAD_CONFIG 3    /* config, catalog or state file unreadable or invalid */
#define EXIT_SOURCE_DB 4     /* the source database failed (connect, query, replication) */
#define EXIT_TARGET_DB 5     /* the target database failed (connect, load, commit) */
#define EXIT_BAD_INPUT 6     /* bad Singer input on stdin (malformed line, record before schema) */
#define EXIT_OUTPUT 7        /* stdout closed or unwritable */
#define EXIT_INTERNAL 70     /* a bug or out of memory */
#define EXIT_INTERRUPTED 130 /* stopped by SIGINT or SIGTERM (after whole lines) */

#endif
