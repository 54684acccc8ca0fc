/*
 * tap-postgres: a Singer tap for PostgreSQL (pipelinewise-compatible).
 * Arguments, dispatch and the only exit(): everything else is in the library.
 */
#include "catalog.h"
#include "discovery.h"
#include "exit_codes.h"
#include "log.h"
#include "pg_conn.h"
#include "singer.h"
#include "state.h"
#include "tap_config.h"
#include "field_transform.h"
#include "field_transform_config.h"
#include "tap_sync.h"
#include "tap_test.h"
#include "timefmt.h"
#include "typemap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "0.0.0"
#endif

static const char usage[] =
    "usage: tap-postgres --config FILE [--discover | --catalog FILE [--state FILE]]\n"
    "       tap-postgres --config FILE --test[=all|schema] [--catalog FILE]\n"
    "       tap-postgres --about [--format json|markdown]\n"
    "\n"
    "  -c, --config FILE       the tap config (JSON; keys: see --about --format markdown); given\n"
    "                          again, the files are merged in order (a later key wins);\n"
    "                          ENV: the settings in TAP_POSTGRES_<SETTING> variables\n"
    "  -d, --discover          write the catalog of the database to stdout\n"
    "      --catalog FILE      sync the streams selected in this catalog\n"
    "  -p, --properties FILE   the same (the older name)\n"
    "  -s, --state FILE        start from this state (bookmarks of an earlier run)\n"
    "      --test[=all]        connection test: SCHEMA and one RECORD of each stream (of the\n"
    "                          catalog's selected streams, else of every discovered one)\n"
    "      --test=schema       the SCHEMA messages only\n"
    "      --about             print name, version, capabilities and settings\n"
    "      --format FMT        json (default) or markdown, for --about\n"
    "      --log-level LEVEL   debug, info, warning, error, critical (default: LOG_LEVEL or "
    "info)\n"
    "  -V, --version           print the version\n"
    "  -h, --help              this text\n"
    "\n"
    "Singer messages go to stdout, logs to stderr. Exit codes: 0 ok, 2 bad arguments,\n"
    "3 bad config/catalog/state, 4 source database error, 7 stdout closed, 70 internal,\n"
    "130 interrupted.\n";

typedef struct args {
    config_sources config;
    const char *config_arg;
    const char *catalog;
    const char *state;
    const char *format;
    bool discover;
    bool about;
    bool test;        /* --test: SCHEMA and one RECORD per stream */
    bool test_schema; /* --test=schema: SCHEMA only */
} args;

static void on_signal(int sig)
{
    (void)sig;
    tap_stop_requested = 1;
}

/* the value of --opt VALUE or --opt=VALUE; NULL when missing */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    *matched = false;
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=') {
        *matched = true;
        return a + n + 1;
    }
    if (a[n] != '\0')
        return NULL;
    *matched = true;
    if (*i + 1 >= argc)
        return NULL;
    (*i)++;
    return argv[*i];
}

static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool m;
        const char *v;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            printf("tap-postgres %s\n", PROJECT_VERSION);
            return -1;
        }
        if (strcmp(arg, "-d") == 0 || strcmp(arg, "--discover") == 0) {
            a->discover = true;
            continue;
        }
        if (strcmp(arg, "--about") == 0) {
            a->about = true;
            continue;
        }
        /* the SDK's --test takes its value only after '=' (click's flag_value) */
        if (strcmp(arg, "--test") == 0 || strcmp(arg, "--test=all") == 0) {
            a->test = true;
            continue;
        }
        if (strcmp(arg, "--test=schema") == 0) {
            a->test = a->test_schema = true;
            continue;
        }
        if (strncmp(arg, "--test=", 7) == 0) {
            log_error("unknown --test value \"%s\" (all or schema)", arg + 7);
            return EXIT_BAD_ARGS;
        }
        struct {
            const char *long_name, *short_name;
            const char **dst;
        } opts[] = {
            {"--config", "-c", &a->config_arg},  {"--catalog", NULL, &a->catalog},
            {"--properties", "-p", &a->catalog}, {"--state", "-s", &a->state},
            {"--format", NULL, &a->format},      {"--log-level", NULL, NULL},
        };
        bool done = false;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && !done; k++) {
            v = opt_value(argc, argv, &i, opts[k].long_name, &m);
            if (!m && opts[k].short_name)
                v = opt_value(argc, argv, &i, opts[k].short_name, &m);
            if (!m)
                continue;
            done = true;
            if (!v || !*v) {
                log_error("option %s needs a value", opts[k].long_name);
                return EXIT_BAD_ARGS;
            }
            if (opts[k].dst == &a->config_arg) {
                if (!config_sources_add(&a->config, v))
                    return EXIT_BAD_ARGS;
            } else if (opts[k].dst) {
                *opts[k].dst = v;
            } else if (!log_set_level_name(v)) {
                log_error("unknown log level \"%s\" (debug, info, warning, error, critical)", v);
                return EXIT_BAD_ARGS;
            }
        }
        if (!done) {
            log_error("unknown argument \"%s\" (see --help)", arg);
            return EXIT_BAD_ARGS;
        }
    }
    return 0;
}

static int print_about(const char *format)
{
    buf b = BUF_INIT;
    if (!format || strcmp(format, "json") == 0) {
        buf_appendf(&b,
                    "{\"name\":\"tap-postgres\",\"version\":\"%s\","
                    "\"description\":\"Singer tap for PostgreSQL, in C "
                    "(pipelinewise-tap-postgres compatible)\","
                    "\"capabilities\":[\"catalog\",\"discover\",\"state\",\"about\","
                    "\"properties\",\"test\",\"activate-version\",\"log-based\"],\"settings\":",
                    PROJECT_VERSION);
        config_settings_schema(&b, tap_config_keys, tap_config_nkeys);
        buf_append_lit(&b, "}\n");
    } else if (strcmp(format, "markdown") == 0) {
        buf_appendf(
            &b,
            "# tap-postgres %s\n\nSinger tap for PostgreSQL, in C "
            "(pipelinewise-tap-postgres compatible).\n\n## Capabilities\n\n"
            "catalog, discover, state, about, properties, test, activate-version, log-based\n\n"
            "## Settings\n\n",
            PROJECT_VERSION);
        config_settings_markdown(&b, tap_config_keys, tap_config_nkeys);
        buf_append_lit(&b, "\n## Type mapping\n\n");
        typemap_table_markdown(&b);
    } else {
        log_error("unknown --format \"%s\" (json or markdown)", format);
        buf_term(&b);
        return EXIT_BAD_ARGS;
    }
    bool ok = buf_ok(&b) && fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0;
    buf_term(&b);
    return ok ? EXIT_OK : EXIT_OUTPUT;
}

static int write_all(int fd, const buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0) {
            log_error("cannot write to standard output: %m");
            return EXIT_OUTPUT;
        }
        off += (size_t)n;
    }
    return EXIT_OK;
}

static int run_discovery(const tap_config *cfg)
{
    tap_run run;
    tap_run_init(&run, cfg, NULL, NULL, NULL);
    pg_conn *c = tap_connect(&run, false);
    tap_run_term(&run);
    if (!c)
        return EXIT_SOURCE_DB;
    discovery_db db;
    double t0 = timefmt_monotonic();
    bool ok = discovery_load(c, (const char *const *)cfg->filter_schemas, cfg->n_filter_schemas,
                             NULL, NULL, 0, &db);
    pg_conn_destroy(c);
    if (!ok)
        return EXIT_SOURCE_DB;
    buf out = BUF_INIT;
    discovery_write(&out, &db);
    log_info("discovered %zu relations with %zu columns in %.3f s", db.ntables, db.ncols,
             timefmt_monotonic() - t0);
    int rc = buf_ok(&out) ? write_all(STDOUT_FILENO, &out) : EXIT_INTERNAL;
    buf_term(&out);
    discovery_term(&db);
    return rc;
}

/* the metadata of the catalog's tables only, as a sync reads it: false after logging */
static bool load_selected(pg_conn *c, const tap_catalog *cat, discovery_db *db)
{
    const char **schemas = calloc(cat->n ? cat->n : 1, sizeof(*schemas));
    const char **names = calloc(cat->n ? cat->n : 1, sizeof(*names));
    bool ok = schemas && names;
    for (size_t i = 0; ok && i < cat->n; i++) {
        schemas[i] = cat->streams[i].schema_name;
        names[i] = cat->streams[i].table_name;
    }
    ok = ok && discovery_load(c, NULL, 0, schemas, names, cat->n, db);
    free(schemas);
    free(names);
    return ok;
}

static int run_sync(const tap_config *cfg, const char *catalog_path, const char *state_path)
{
    int rc = EXIT_OK;
    tap_catalog cat;
    memset(&cat, 0, sizeof(cat));
    discovery_db db;
    memset(&db, 0, sizeof(db));
    cJSON *input_state = state_load(state_path);
    cJSON *state = input_state ? cJSON_Duplicate(input_state, true) : NULL;
    if (!state) {
        cJSON_Delete(input_state);
        return EXIT_BAD_CONFIG;
    }
    field_transform_set xf;
    if (!field_transform_config_parse(
            &xf, cJSON_GetObjectItemCaseSensitive(cfg->root, "transformations"), "config") ||
        !catalog_load(&cat, catalog_path, cfg)) {
        field_transform_config_term(&xf);
        catalog_term(&cat);
        cJSON_Delete(state);
        cJSON_Delete(input_state);
        return EXIT_BAD_CONFIG;
    }
    singer_writer w;
    singer_writer_init(&w, STDOUT_FILENO, 0);
    tap_run run;
    tap_run_init(&run, cfg, &w, state, input_state);
    pg_conn *c = NULL;
    if (cat.n == 0) {
        log_warn("no stream is selected in the catalog \"%s\": nothing to do", catalog_path);
        goto done;
    }
    c = tap_connect(&run, true);
    if (!c) {
        rc = run.fail_code;
        goto done;
    }
    if (!load_selected(c, &cat, &db)) {
        rc = EXIT_SOURCE_DB;
        goto done;
    }
    if (!catalog_bind(&cat, &db) || !field_transform_check(&xf, &cat)) {
        rc = EXIT_BAD_CONFIG;
        goto done;
    }
    if (!tap_sync_run(&run, c, &cat))
        rc = run.fail_code ? run.fail_code : EXIT_INTERNAL;
done:
    if (!singer_writer_term(&w) && rc == EXIT_OK)
        rc = EXIT_OUTPUT;
    pg_conn_destroy(c);
    tap_run_term(&run);
    discovery_term(&db);
    catalog_term(&cat);
    field_transform_config_term(&xf);
    cJSON_Delete(state);
    cJSON_Delete(input_state);
    return rc;
}

/* --test: the catalog's selected streams, or every discovered one without --catalog */
static int run_test(const tap_config *cfg, const char *catalog_path, bool schema_only)
{
    int rc = EXIT_OK;
    tap_catalog cat;
    memset(&cat, 0, sizeof(cat));
    discovery_db db;
    memset(&db, 0, sizeof(db));
    discovery_db all;
    memset(&all, 0, sizeof(all));
    buf text = BUF_INIT;
    singer_writer w;
    singer_writer_init(&w, STDOUT_FILENO, 0);
    tap_run run;
    tap_run_init(&run, cfg, &w, NULL, NULL);
    pg_conn *c = NULL;
    /* the records it shows are transformed as a sync's would be: nothing in the clear */
    field_transform_set xf;
    if (!field_transform_config_parse(
            &xf, cJSON_GetObjectItemCaseSensitive(cfg->root, "transformations"), "config")) {
        rc = EXIT_BAD_CONFIG;
        goto done;
    }
    if (catalog_path && !catalog_load(&cat, catalog_path, cfg)) {
        rc = EXIT_BAD_CONFIG;
        goto done;
    }
    c = tap_connect(&run, false);
    if (!c) {
        log_error("--test failed: cannot connect to the source database (see above)");
        rc = run.fail_code ? run.fail_code : EXIT_SOURCE_DB;
        goto done;
    }
    if (!catalog_path) {
        if (!discovery_load(c, (const char *const *)cfg->filter_schemas, cfg->n_filter_schemas,
                            NULL, NULL, 0, &all)) {
            rc = EXIT_SOURCE_DB;
            goto done;
        }
        discovery_write(&text, &all);
        cJSON *root = buf_ok(&text) ? cJSON_ParseWithLength(text.data, text.len) : NULL;
        if (!root || !tap_test_select_all(root)) {
            cJSON_Delete(root);
            log_error("out of memory");
            rc = EXIT_INTERNAL;
            goto done;
        }
        if (!catalog_parse(&cat, root, "the discovered catalog", cfg)) {
            rc = EXIT_BAD_CONFIG;
            goto done;
        }
    }
    if (cat.n == 0) {
        log_warn("--test: no stream to test (%s)",
                 catalog_path ? "no stream is selected in the catalog" : "no table found");
        goto done;
    }
    if (catalog_path) {
        /* the metadata of the selected tables only, as a sync reads it */
        if (!load_selected(c, &cat, &db)) {
            rc = EXIT_SOURCE_DB;
            goto done;
        }
    }
    if (!catalog_bind(&cat, catalog_path ? &db : &all) || !field_transform_check(&xf, &cat)) {
        rc = EXIT_BAD_CONFIG;
        goto done;
    }
    if (!tap_test_run(&run, c, &cat, schema_only))
        rc = run.fail_code ? run.fail_code : EXIT_INTERNAL;
done:
    if (!singer_writer_term(&w) && rc == EXIT_OK)
        rc = EXIT_OUTPUT;
    pg_conn_destroy(c);
    tap_run_term(&run);
    catalog_term(&cat);
    field_transform_config_term(&xf);
    discovery_term(&db);
    discovery_term(&all);
    buf_term(&text);
    return rc;
}

int main(int argc, char **argv)
{
    log_init("tap-postgres");
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        exit(EXIT_OK);
    if (rc != 0) {
        fputs("see tap-postgres --help\n", stderr);
        exit(rc);
    }
    if (a.about)
        exit(print_about(a.format));
    if (a.config.n == 0) {
        log_error("--config FILE is required (see --help)");
        exit(EXIT_BAD_ARGS);
    }
    if (a.test && a.discover) {
        log_error("--test and --discover cannot be combined");
        exit(EXIT_BAD_ARGS);
    }
    if (!a.discover && !a.catalog && !a.test) {
        log_error("nothing to do: give --discover, --test, or --catalog FILE to sync");
        exit(EXIT_BAD_ARGS);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tap_config cfg;
    if (!tap_config_load(&cfg, &a.config)) {
        tap_config_term(&cfg);
        exit(EXIT_BAD_CONFIG);
    }
    if (log_enabled(LOG_DEBUG)) {
        buf masked = BUF_INIT;
        config_masked(&masked, cfg.root, tap_config_keys, tap_config_nkeys);
        log_debug("config: %s", masked.data ? masked.data : "");
        buf_term(&masked);
    }
    /* the mapping settings: discovery, the SCHEMA messages and the values all follow them */
    typemap_options topts = {.dates_as_string = cfg.dates_as_string,
                             .json_as_object = cfg.json_as_object};
    typemap_set_options(&topts);
    if (a.test)
        rc = run_test(&cfg, a.catalog, a.test_schema);
    else if (a.discover)
        rc = run_discovery(&cfg);
    else
        rc = run_sync(&cfg, a.catalog, a.state);
    tap_config_term(&cfg);
    exit(rc);
}
