/* Unit tests of ssh_tunnel: the host_key setting (key lines, fingerprints) and the settings
   check. The tunnel itself is tested against a real sshd by tap.sh and target.sh. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "ssh_tunnel.h"

/* an Ed25519 public key made by ssh-keygen, and what ssh-keygen -l -E sha256 prints for it */
#define VEC_LINE                                                                                   \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8Damz0kx9YVjaJbldKcBz8R1suoVYIaGPd7bjusg8q vec"
#define VEC_FP "SHA256:uoAfsUR9kLDX+MFMZig4neqMbn8RpUBd/9qjLXFE9d4"
#define OTHER_LINE                                                                                 \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ9WF4IEcZbaUox3Y61c+zrAxxv4qR57dhL8QZ6mXjkJ"
static const unsigned char vec_blob[] =
    "\x00\x00\x00\x0b\x73\x73\x68\x2d\x65\x64\x32\x35\x35\x31\x39\x00\x00\x00\x20\x4f\x03\x6a\x6c"
    "\xf4\x93\x1f\x58\x56\x36\x89\x6e\x57\x4a\x70\x1c\xfc\x47\x5b\x2e\xa1\x56\x08\x68\x63\xdd\xed"
    "\xb8\xee\xb2\x0f\x2a";
#define VEC_LEN (sizeof(vec_blob) - 1)

static bool matches(const char *setting)
{
    unsigned char h[32];
    sha256(vec_blob, VEC_LEN, h);
    return ssh_tunnel_host_key_matches(setting, vec_blob, VEC_LEN, h);
}

START_TEST(fingerprint)
{
    unsigned char h[32];
    sha256(vec_blob, VEC_LEN, h);
    char fp[64];
    ssh_tunnel_fingerprint(h, fp, sizeof(fp));
    ck_assert_str_eq(fp, VEC_FP);
}
END_TEST

START_TEST(host_key_forms)
{
    ck_assert(matches(VEC_LINE));
    ck_assert(matches(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8Damz0kx9YVjaJbldKcBz8R1suoVYIaGPd7bjusg8q"));
    ck_assert(matches(VEC_FP));
    ck_assert(matches(VEC_FP "="));
    ck_assert(matches("  " VEC_FP "  \r"));
    /* a known_hosts line, with the host in front */
    ck_assert(matches("[bastion]:2222 " VEC_LINE));
    /* several lines: any one matches */
    ck_assert(matches("# the bastion's keys\n" OTHER_LINE "\n\n" VEC_FP "\n"));
    ck_assert(!matches(OTHER_LINE));
    ck_assert(!matches("SHA256:uoAfsUR9kLDX+MFMZig4neqMbn8RpUBd/9qjLXFE9d5"));
    ck_assert(!matches("SHA256:uoAfsUR9kLDX+MFMZig4neqMbn8RpUBd"));
    ck_assert(!matches(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8Damz0kx9YVjaJbldKcBz8R1suoVYIaGPd7bjusg8"));
    ck_assert(!matches(""));
    ck_assert(!matches("# only a comment"));
    unsigned char zero[32] = {0};
    ck_assert(!ssh_tunnel_host_key_matches(NULL, vec_blob, VEC_LEN, zero));
}
END_TEST

/* ssh_tunnel_config_check on text: its result and what it logged */
static const char *check(const char *text, bool *ok)
{
    static char logged[4096];
    char path[] = "/tmp/unit_ssh_tunnel_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    *ok = ssh_tunnel_config_check(root, "config");
    cJSON_Delete(root);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, logged, sizeof(logged) - 1);
    logged[n > 0 ? n : 0] = '\0';
    close(fd);
    return logged;
}

#define T "{\"ssh_tunnel\":{\"enable\":true,\"host\":\"b\",\"username\":\"u\","
#define PEM "\"private_key\":\"-----BEGIN OPENSSH PRIVATE KEY-----\\nS3CRET\\n\""

static void fails(const char *text, const char *needle)
{
    bool ok = true;
    const char *log = check(text, &ok);
    ck_assert_msg(!ok, "%s was accepted", text);
    ck_assert_msg(strstr(log, needle) != NULL, "%s: log \"%s\" lacks \"%s\"", text, log, needle);
    ck_assert_msg(strstr(log, "S3CRET") == NULL, "%s: the log shows the key: %s", text, log);
}

static void passes(const char *text, const char *needle)
{
    bool ok = false;
    const char *log = check(text, &ok);
    ck_assert_msg(ok, "%s was refused: %s", text, log);
    if (needle)
        ck_assert_msg(strstr(log, needle) != NULL, "%s: log \"%s\" lacks \"%s\"", text, log,
                      needle);
    else
        ck_assert_msg(*log == '\0', "%s: logged %s", text, log);
}

START_TEST(settings)
{
    passes("{}", NULL);
    passes("{\"ssh_tunnel\":{\"enable\":false}}", NULL);
    passes("{\"ssh_tunnel\":{\"enable\":false,\"host\":\"b\",\"private_key\":\"k\"}}", NULL);
    passes(T PEM "}}", NULL);
    passes(T PEM ",\"port\":2222,\"private_key_password\":null,\"host_key\":\"" VEC_FP "\"}}",
           NULL);
    passes(T PEM ",\"port\":\"22\",\"known_hosts\":\"/etc/ssh/ssh_known_hosts\"}}", NULL);
    passes(T PEM ",\"host_key_check\":false}}", NULL);
    passes(T PEM ",\"compression\":true}}", "unknown setting \"compression\" is ignored");
    fails("{\"ssh_tunnel\":{\"enable\":true,\"username\":\"u\"," PEM "}}",
          "key \"ssh_tunnel\": enable is true, but host is not set");
    fails("{\"ssh_tunnel\":{\"enable\":\"true\",\"host\":\"b\"," PEM "}}", "username is not set");
    fails(T "\"private_key\":\"\"}}", "private_key is not set");
    fails(T PEM ",\"port\":0}}", "port must be an integer from 1 to 65535");
    fails(T PEM ",\"port\":\"ssh\"}}", "port must be an integer from 1 to 65535");
    fails(T "\"private_key\":\"/nonexistent/id_ed25519\"}}",
          "private_key is neither PEM text (\"-----BEGIN ...\") nor the path of a readable key "
          "file");
    fails(T "\"private_key\":\"S3CRET\"}}", "private_key is neither PEM text");
    fails(T PEM ",\"private_key_password\":1}}", "private_key_password must be a string");
    fails(T PEM ",\"host_key_check\":\"no\"}}", "host_key_check must be true or false");
    fails(T PEM ",\"host_key\":\"" VEC_FP "\",\"known_hosts\":\"/k\"}}",
          "host_key and known_hosts are both set: keep one");
    fails(T PEM ",\"host_key_check\":false,\"known_hosts\":\"/k\"}}",
          "host_key_check is false, but known_hosts is set");
    fails(T PEM ",\"host_key\":\"" VEC_LINE "\\nnot a key\"}}",
          "line 2 of host_key is neither an OpenSSH public key");
    fails(T PEM ",\"host_key\":\"SHA256:abc\"}}", "line 1 of host_key");
    fails(T PEM ",\"host_key\":\"ssh-ed25519 !!!\"}}", "line 1 of host_key");
}
END_TEST

START_TEST(enabled)
{
    cJSON *a = cJSON_Parse("{\"ssh_tunnel\":{\"enable\":true}}");
    cJSON *b = cJSON_Parse("{\"ssh_tunnel\":{\"enable\":false}}");
    cJSON *c = cJSON_Parse("{\"ssh_tunnel\":null}");
    ck_assert(ssh_tunnel_enabled(a));
    ck_assert(!ssh_tunnel_enabled(b));
    ck_assert(!ssh_tunnel_enabled(c));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ssh_tunnel");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fingerprint);
    tcase_add_test(tc, host_key_forms);
    tcase_add_test(tc, settings);
    tcase_add_test(tc, enabled);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
