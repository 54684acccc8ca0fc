/*
 * jsonl_check FILE: every line of FILE must be a JSON object with a "type"
 * member (a whole Singer message). Prints the number of lines; exit 1 with
 * the first bad line number otherwise. A test tool for the scenarios.
 */
#include "json_util.h"
#include "singer.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: jsonl_check FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 2;
    }
    singer_reader r;
    singer_reader_init(&r, fd, 0);
    const char *line;
    size_t len;
    long long n = 0;
    int rc = 0;
    singer_reader_status st;
    while ((st = singer_reader_next(&r, &line, &len)) == LR_LINE) {
        size_t off = 0;
        cJSON *v = json_util_parse(line, len, &off);
        if (!v || !cJSON_IsObject(v) || !cJSON_IsString(cJSON_GetObjectItem(v, "type"))) {
            fprintf(stderr, "line %lld is not a Singer message: %.200s\n", r.line_no, line);
            cJSON_Delete(v);
            rc = 1;
            break;
        }
        cJSON_Delete(v);
        n++;
    }
    if (st == LR_TOO_LONG || st == LR_ERROR)
        rc = 1;
    singer_reader_term(&r);
    close(fd);
    printf("%lld\n", n);
    return rc;
}
