/* test_pbwire.c: unit tests for src/gateway/pbwire: varints, zigzag, fixed, length-delimited records,
 * tags and skipping, including truncated and hostile input. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbwire.h"

static size_t hex_decode(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

START_TEST(varint_vectors)
{
    static const struct { uint64_t v; const char *hex; } cases[] = {
        {0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"}, {150, "9601"}, {300, "ac02"},
        {16383, "ff7f"}, {16384, "808001"}, {UINT32_MAX, "ffffffff0f"},
        {(uint64_t)INT64_MAX, "ffffffffffffffff7f"}, {UINT64_MAX, "ffffffffffffffffff01"},
        {(uint64_t)-1LL, "ffffffffffffffffff01"}, {1ULL << 63, "80808080808080808001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t want[16];
        size_t n = hex_decode(cases[i].hex, want);
        buf b = BUF_INIT;
        pbw_put_varint(&b, cases[i].v);
        ck_assert_uint_eq(b.len, n);
        ck_assert_uint_eq(pbw_varint_size(cases[i].v), n);
        ck_assert(memcmp(b.data, want, n) == 0);
        pbw_reader r = pbw_reader_init(want, n);
        uint64_t v = 0;
        ck_assert(pbw_read_varint(&r, &v));
        ck_assert_uint_eq(v, cases[i].v);
        ck_assert(pbw_at_end(&r));
        /* Every strict prefix is truncated. */
        for (size_t k = 0; k < n; k++) {
            pbw_reader t = pbw_reader_init(want, k);
            ck_assert(!pbw_read_varint(&t, &v));
        }
        buf_free(&b);
    }
}
END_TEST

START_TEST(varint_overlong_and_extra_bits)
{
    uint8_t d[16];
    uint64_t v;
    /* Non-canonical but legal: 1 padded to 3 bytes. */
    size_t n = hex_decode("818000", d);
    pbw_reader r = pbw_reader_init(d, n);
    ck_assert(pbw_read_varint(&r, &v) && v == 1 && pbw_at_end(&r));
    /* 10 bytes whose last byte has bits above bit 63: the extra bits are dropped. */
    n = hex_decode("ffffffffffffffffff7f", d);
    r = pbw_reader_init(d, n);
    ck_assert(pbw_read_varint(&r, &v) && v == UINT64_MAX);
    /* 11 bytes: rejected. */
    n = hex_decode("ffffffffffffffffffff01", d);
    r = pbw_reader_init(d, n);
    ck_assert(!pbw_read_varint(&r, &v));
    /* Empty input. */
    r = pbw_reader_init(d, 0);
    ck_assert(!pbw_read_varint(&r, &v));
}
END_TEST

START_TEST(zigzag_vectors)
{
    ck_assert_uint_eq(pbw_zigzag32(0), 0);
    ck_assert_uint_eq(pbw_zigzag32(-1), 1);
    ck_assert_uint_eq(pbw_zigzag32(1), 2);
    ck_assert_uint_eq(pbw_zigzag32(-2), 3);
    ck_assert_uint_eq(pbw_zigzag32(INT32_MAX), 0xfffffffeu);
    ck_assert_uint_eq(pbw_zigzag32(INT32_MIN), 0xffffffffu);
    ck_assert_uint_eq(pbw_zigzag64(INT64_MAX), 0xfffffffffffffffeull);
    ck_assert_uint_eq(pbw_zigzag64(INT64_MIN), UINT64_MAX);
    ck_assert_int_eq(pbw_unzigzag32(0xffffffffu), INT32_MIN);
    ck_assert_int_eq(pbw_unzigzag64(UINT64_MAX), INT64_MIN);
    int64_t samples[] = {0, 1, -1, 63, -64, 64, 1000000, -1000000, INT64_MAX, INT64_MIN, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        ck_assert_int_eq(pbw_unzigzag64(pbw_zigzag64(samples[i])), samples[i]);
        int32_t s32 = (int32_t)samples[i];
        ck_assert_int_eq(pbw_unzigzag32(pbw_zigzag32(s32)), s32);
    }
}
END_TEST

START_TEST(fixed_and_len)
{
    buf b = BUF_INIT;
    pbw_put_fixed32(&b, 0x04030201u);
    pbw_put_fixed64(&b, 0x0807060504030201ull);
    pbw_put_len_field(&b, 3, "abc", 3);
    const uint8_t want[] = {1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 3, 'a', 'b', 'c'};
    ck_assert_uint_eq(b.len, sizeof want);
    ck_assert(memcmp(b.data, want, sizeof want) == 0);

    pbw_reader r = pbw_reader_init(b.data, b.len);
    uint32_t v32;
    uint64_t v64;
    ck_assert(pbw_read_fixed32(&r, &v32) && v32 == 0x04030201u);
    ck_assert(pbw_read_fixed64(&r, &v64) && v64 == 0x0807060504030201ull);
    uint32_t field;
    int wt;
    ck_assert(pbw_read_tag(&r, &field, &wt) && field == 3 && wt == PBW_LEN);
    const uint8_t *p;
    size_t n;
    ck_assert(pbw_read_len(&r, &p, &n) && n == 3 && memcmp(p, "abc", 3) == 0 && pbw_at_end(&r));

    /* Short reads fail. */
    r = pbw_reader_init(want, 3);
    ck_assert(!pbw_read_fixed32(&r, &v32));
    r = pbw_reader_init(want, 7);
    ck_assert(!pbw_read_fixed64(&r, &v64));
    const uint8_t long_len[] = {5, 'a', 'b'};
    r = pbw_reader_init(long_len, sizeof long_len);
    ck_assert(!pbw_read_len(&r, &p, &n));
    const uint8_t huge_len[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    r = pbw_reader_init(huge_len, sizeof huge_len);
    ck_assert(!pbw_read_len(&r, &p, &n));
    ck_assert_float_eq(pbw_float_from_bits(pbw_float_bits(1.5f)), 1.5f);
    ck_assert_double_eq(pbw_double_from_bits(pbw_double_bits(-2.25)), -2.25);
    buf_free(&b);
}
END_TEST

START_TEST(tags)
{
    buf b = BUF_INIT;
    pbw_put_tag(&b, PBW_MAX_FIELD_NUMBER, PBW_FIXED32);
    pbw_reader r = pbw_reader_init(b.data, b.len);
    uint32_t f;
    int wt;
    ck_assert(pbw_read_tag(&r, &f, &wt) && f == PBW_MAX_FIELD_NUMBER && wt == PBW_FIXED32);
    const uint8_t zero_field[] = {0x02};           /* field 0 */
    r = pbw_reader_init(zero_field, 1);
    ck_assert(!pbw_read_tag(&r, &f, &wt));
    const uint8_t wt6[] = {0x0e}, wt7[] = {0x0f};
    r = pbw_reader_init(wt6, 1);
    ck_assert(!pbw_read_tag(&r, &f, &wt));
    r = pbw_reader_init(wt7, 1);
    ck_assert(!pbw_read_tag(&r, &f, &wt));
    const uint8_t too_big[] = {0xf8, 0xff, 0xff, 0xff, 0x1f};   /* > 32 bits */
    r = pbw_reader_init(too_big, sizeof too_big);
    ck_assert(!pbw_read_tag(&r, &f, &wt));
    buf_free(&b);
}
END_TEST

static bool skip_all(const uint8_t *d, size_t n)
{
    pbw_reader r = pbw_reader_init(d, n);
    while (!pbw_at_end(&r)) {
        uint32_t f;
        int wt;
        if (!pbw_read_tag(&r, &f, &wt) || !pbw_skip(&r, wt, f)) return false;
    }
    return true;
}

START_TEST(skipping)
{
    uint8_t d[256];
    /* varint, fixed64, len, group{ varint, group{} }, fixed32 */
    size_t n = hex_decode("0896010911111111111111111a0361626323" "2801" "2b" "2c" "24" "3d22222222", d);
    ck_assert(skip_all(d, n));
    for (size_t k = 1; k < n; k++) {
        /* Every cut inside a record fails; cuts at record boundaries succeed. */
        bool ok = skip_all(d, k);
        bool boundary = k == 3 || k == 12 || k == 17 || k == 23;
        ck_assert_msg(ok == boundary, "cut at %zu: %d", k, ok);
    }
    /* Mismatched end-group, stray end-group, unterminated group. */
    n = hex_decode("232c", d);
    ck_assert(!skip_all(d, n));
    n = hex_decode("24", d);
    ck_assert(!skip_all(d, n));
    n = hex_decode("230801", d);
    ck_assert(!skip_all(d, n));
    /* Groups nested deeper than the limit are refused without recursion. */
    size_t k = 0;
    for (int i = 0; i < PBW_MAX_GROUP_DEPTH + 1; i++) d[k++] = 0x0b;
    for (int i = 0; i < PBW_MAX_GROUP_DEPTH + 1; i++) d[k++] = 0x0c;
    ck_assert(!skip_all(d, k));
    k = 0;
    for (int i = 0; i < PBW_MAX_GROUP_DEPTH; i++) d[k++] = 0x0b;
    for (int i = 0; i < PBW_MAX_GROUP_DEPTH; i++) d[k++] = 0x0c;
    ck_assert(skip_all(d, k));
}
END_TEST

static Suite *pbwire_suite(void)
{
    Suite *s = suite_create("pbwire");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, varint_vectors);
    tcase_add_test(tc, varint_overlong_and_extra_bits);
    tcase_add_test(tc, zigzag_vectors);
    tcase_add_test(tc, fixed_and_len);
    tcase_add_test(tc, tags);
    tcase_add_test(tc, skipping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pbwire_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
