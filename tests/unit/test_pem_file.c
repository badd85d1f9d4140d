/* test_pem_file.c: unit tests for src/common/pem_file (reading the PEM files of the TLS options). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pem_file.h"

#define SAMPLE_PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

static char g_dir[] = "/tmp/test_pem_file.XXXXXX";

/* Writes `len` bytes of `data` to a file in the test's directory; returns its path (static buffer). */
static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return path;
}

/* pem_file_read on `path` must fail with a message containing `needle`. */
static void expect_refused(const char *path, const char *needle)
{
    char err[512] = "";
    char *out = (char *)"untouched";
    ck_assert_msg(!pem_file_read(path, &out, err, sizeof err), "%s was accepted", path);
    ck_assert_str_eq(out, "untouched");
    ck_assert_msg(strstr(err, needle) != NULL, "message [%s] lacks [%s]", err, needle);
    ck_assert_msg(strstr(err, path) != NULL, "message [%s] does not name %s", err, path);
}

START_TEST(reads_pem_text)
{
    char err[256];
    char *out = NULL;
    const char *path = write_file("ok.pem", SAMPLE_PEM, strlen(SAMPLE_PEM));
    ck_assert(pem_file_read(path, &out, err, sizeof err));
    ck_assert_str_eq(out, SAMPLE_PEM);
    free(out);
    /* Text around the blocks (as openssl writes with -text) is the TLS library's business. */
    static const char with_text[] = "Certificate:\n  Data: ...\n" SAMPLE_PEM;
    path = write_file("text.pem", with_text, strlen(with_text));
    ck_assert(pem_file_read(path, &out, err, sizeof err));
    ck_assert_str_eq(out, with_text);
    free(out);
}
END_TEST

START_TEST(refuses_what_is_not_pem)
{
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing.pem", g_dir);
    expect_refused(missing, "cannot read");
    expect_refused(g_dir, "Is a directory");
    expect_refused(write_file("empty.pem", "", 0), "is empty");
    expect_refused(write_file("garbage.pem", "hello\n", 6), "is not PEM");
    static const char with_nul[] = "-----BEGIN X-----\n\0\n-----END X-----\n";
    expect_refused(write_file("nul.pem", with_nul, sizeof with_nul - 1), "NUL byte");
}
END_TEST

START_TEST(cap_is_exact)
{
    /* PEM text padded to exactly the cap is read; one byte more is refused. */
    size_t len = PEM_FILE_MAX_BYTES + 1;
    char *big = malloc(len);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', len);
    memcpy(big, SAMPLE_PEM, strlen(SAMPLE_PEM));
    char err[256];
    char *out = NULL;
    const char *path = write_file("big.pem", big, len - 1);
    ck_assert_msg(pem_file_read(path, &out, err, sizeof err), "%s", err);
    ck_assert_uint_eq(strlen(out), len - 1);
    free(out);
    expect_refused(write_file("big.pem", big, len), "too large");
    free(big);
}
END_TEST

static const char *const FILES[] = {"ok.pem", "text.pem", "empty.pem", "garbage.pem", "nul.pem", "big.pem"};

int main(void)
{
    if (!mkdtemp(g_dir)) return EXIT_FAILURE;
    Suite *s = suite_create("pem_file");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reads_pem_text);
    tcase_add_test(tc, refuses_what_is_not_pem);
    tcase_add_test(tc, cap_is_exact);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", g_dir, FILES[i]);
        unlink(path);
    }
    rmdir(g_dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
