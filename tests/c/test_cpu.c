/* CPU detection, the dispatch table, and every ISA level's kernels against the scalar
 * references (random buffers at every alignment, exhaustive short sequences, single
 * errors in a 1 MB text). */
#include "test.h"

#include <pthread.h>
#include <stdint.h>

/* ---- helpers ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint32_t rnd_below(uint32_t k) { return (uint32_t)((rnd() >> 32) % k); }

/* SIMD levels this CPU has (scalar excluded: it *is* the reference). */
static hfc_kernels simd[HFC_ISA_COUNT];
static int n_simd = 0;

static void collect_simd_levels(void) {
    n_simd = 0;
    for (int isa = HFC_ISA_SCALAR + 1; isa < HFC_ISA_COUNT; isa++)
        if (hfc_kernels_for((hfc_isa)isa, &simd[n_simd]) == HFC_OK) n_simd++;
}

static long long comparisons = 0; /* kernel calls checked against the reference */
static int mismatches_shown = 0;

static void show_mismatch(const char *kernel, hfc_isa isa, const uint8_t *p, size_t n,
                          size_t align, size_t got, size_t want) {
    if (mismatches_shown++ >= 10) return;
    fprintf(stderr, "    %s[%s] n=%zu align=%zu: got %zu, want %zu; bytes near:", kernel,
            hfc_isa_name(isa), n, align, got, want);
    size_t at = want < got ? want : got;
    size_t lo = at > 8 ? at - 8 : 0, hi = at + 8 < n ? at + 8 : n;
    for (size_t i = lo; i < hi; i++) fprintf(stderr, "%s%02X", i == at ? " [" : " ", p[i]);
    fprintf(stderr, "\n");
}

/* Compare both kernels of every SIMD level with the references on p[0..n). Returns the
 * number of mismatches. want_utf8/want_json: reference results (computed by caller so
 * they are shared across alignments). */
static int compare_at(const uint8_t *p, size_t n, size_t align, size_t want_utf8,
                      size_t want_json) {
    int bad = 0;
    for (int k = 0; k < n_simd; k++) {
        size_t got = simd[k].utf8_valid_prefix(p, n);
        if (got != want_utf8) {
            bad++;
            show_mismatch("utf8_valid_prefix", simd[k].isa, p, n, align, got, want_utf8);
        }
        got = simd[k].json_string_span(p, n);
        if (got != want_json) {
            bad++;
            show_mismatch("json_string_span", simd[k].isa, p, n, align, got, want_json);
        }
        comparisons += 2;
    }
    return bad;
}

static int compare_utf8(const uint8_t *p, size_t n) {
    size_t want = hfc_utf8_valid_prefix_ref(p, n);
    int bad = 0;
    for (int k = 0; k < n_simd; k++) {
        size_t got = simd[k].utf8_valid_prefix(p, n);
        comparisons++;
        if (got != want) {
            bad++;
            show_mismatch("utf8_valid_prefix", simd[k].isa, p, n, 0, got, want);
        }
    }
    return bad;
}

static int compare_json(const uint8_t *p, size_t n) {
    size_t want = hfc_json_string_span_ref(p, n);
    int bad = 0;
    for (int k = 0; k < n_simd; k++) {
        size_t got = simd[k].json_string_span(p, n);
        comparisons++;
        if (got != want) {
            bad++;
            show_mismatch("json_string_span", simd[k].isa, p, n, 0, got, want);
        }
    }
    return bad;
}

/* ---- text generation ---- */

static size_t put_utf8(uint8_t *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* A code point (never a surrogate); mostly the shapes tokenizer files have: ASCII,
 * byte-level BPE symbols (U+0100..U+017F, 2 bytes), CJK (3 bytes), emoji (4 bytes),
 * plus the edges of every length class. */
static uint32_t random_cp(void) {
    static const uint32_t edges[] = {0x0,    0x7F,   0x80,    0x7FF,   0x800,  0xFFF,
                                     0x1000, 0xD7FF, 0xE000,  0xFFFD,  0xFFFF, 0x10000,
                                     0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};
    switch (rnd_below(10)) {
    case 0: case 1: case 2: return 0x20 + rnd_below(0x5F);
    case 3: return rnd_below(0x80);
    case 4: return 0x100 + rnd_below(0x80);
    case 5: return 0x80 + rnd_below(0x780);
    case 6: return 0x4E00 + rnd_below(0x5200);
    case 7: {
        uint32_t cp = 0x800 + rnd_below(0xF800);
        return (cp >= 0xD800 && cp <= 0xDFFF) ? cp + 0x800 : cp;
    }
    case 8: return 0x10000 + rnd_below(0x100000);
    default: return edges[rnd_below(sizeof edges / sizeof edges[0])];
    }
}

/* Fill p[0..n) with valid UTF-8 (ASCII filler where the next code point does not fit).
 * `ascii_percent` biases towards long ASCII runs. */
static void fill_valid(uint8_t *p, size_t n, unsigned ascii_percent) {
    size_t i = 0;
    uint8_t tmp[4];
    while (i < n) {
        uint32_t cp = rnd_below(100) < ascii_percent ? 0x20 + rnd_below(0x5F) : random_cp();
        size_t len = put_utf8(tmp, cp);
        if (len > n - i) len = put_utf8(tmp, 'a');
        memcpy(p + i, tmp, len);
        i += len;
    }
}

/* A position biased towards 16/32/64-byte block boundaries. */
static size_t random_pos(size_t n) {
    if (n == 0) return 0;
    if (rnd_below(2)) {
        size_t pos = 16 * (size_t)rnd_below((uint32_t)(n / 16 + 1)) + rnd_below(9);
        pos = pos >= 4 ? pos - 4 : 0;
        if (pos < n) return pos;
    }
    return rnd_below((uint32_t)n);
}

/* Overwrite bytes at `pos` with one kind of invalid (or suspicious) UTF-8. */
static void inject_error(uint8_t *p, size_t n, size_t pos) {
    uint8_t e[6];
    size_t len;
    uint8_t cont = (uint8_t)(0x80 + rnd_below(0x40));
    switch (rnd_below(11)) {
    case 0: e[0] = (uint8_t)rnd(); len = 1; break;                       /* any byte */
    case 1: e[0] = cont; len = 1; break;                                 /* stray cont. */
    case 2: {                                                            /* bad lead */
        static const uint8_t bad[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF};
        e[0] = bad[rnd_below(sizeof bad)], e[1] = cont, len = 1 + rnd_below(2);
        break;
    }
    case 3: { /* truncated: a lead with too few continuations, then ASCII */
        uint8_t tmp[4];
        size_t full = put_utf8(tmp, 0x80 + rnd_below(0x10FF80));
        if (full < 2) full = put_utf8(tmp, 0x10000);
        len = 1 + rnd_below((uint32_t)full - 1);
        memcpy(e, tmp, len);
        e[len++] = (uint8_t)(rnd_below(2) ? 'x' : 0xC3);
        break;
    }
    case 4: e[0] = 0xE0, e[1] = (uint8_t)(0x80 + rnd_below(0x20)), e[2] = cont, len = 3; break;
    case 5: e[0] = 0xF0, e[1] = (uint8_t)(0x80 + rnd_below(0x10)), e[2] = cont, e[3] = cont,
            len = 4; break;
    case 6: e[0] = 0xED, e[1] = (uint8_t)(0xA0 + rnd_below(0x20)), e[2] = cont, len = 3; break;
    case 7: e[0] = 0xF4, e[1] = (uint8_t)(0x90 + rnd_below(0x30)), e[2] = cont, e[3] = cont,
            len = 4; break;
    case 8: /* one continuation too many */
        len = put_utf8(e, random_cp());
        e[len++] = cont;
        break;
    case 9: e[0] = (uint8_t)(0xC2 + rnd_below(0x33)), len = 1; break;    /* bare lead */
    default: /* a valid-looking 4-byte sequence that is only wrong in byte 2..4 */
        e[0] = (uint8_t)(0xF0 + rnd_below(5)), e[1] = (uint8_t)rnd(), e[2] = (uint8_t)rnd(),
        e[3] = cont, len = 4;
        break;
    }
    for (size_t k = 0; k < len && pos + k < n; k++) p[pos + k] = e[k];
}

/* Bytes that stop json_string_span and near misses (incl. the same with bit 7 set,
 * which signed compares get wrong). */
static uint8_t json_interesting_byte(void) {
    static const uint8_t b[] = {'"', '\\', 0x00, 0x01, 0x0A, 0x1F, 0x20, 0x21, 0x23,
                                0x5B, 0x5D, 0x7F, 0x80, 0x9F, 0xA0, 0xA2, 0xDC, 0xFF};
    return b[rnd_below(sizeof b)];
}

/* ---- detection and table ---- */

/* Must run first: the table works before hfc_dispatch_init. */
static void test_table_before_init(void) {
    CHECK(hfc_kernels_active.utf8_valid_prefix == hfc_utf8_valid_prefix_ref);
    CHECK(hfc_kernels_active.json_string_span == hfc_json_string_span_ref);
    CHECK_EQ_INT(hfc_isa_active(), HFC_ISA_SCALAR);
    const uint8_t s[] = "ab\xC3\xA9\"";
    CHECK_EQ_INT(hfc_kernels_active.utf8_valid_prefix(s, 5), 5);
    CHECK_EQ_INT(hfc_kernels_active.json_string_span(s, 5), 4);
}

static void *detect_thread(void *arg) {
    (void)arg;
    return (void *)hfc_cpu_detect();
}

static void test_detect(void) {
    /* concurrent first calls all see the same, fully initialised result */
    pthread_t t[4];
    void *r[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, detect_thread, NULL) == 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], &r[i]);
    const hfc_cpu_features *f = hfc_cpu_detect();
    for (int i = 0; i < 4; i++) CHECK(r[i] == (void *)f);
    CHECK(hfc_cpu_detect() == f);

    hfc_isa best = hfc_isa_detected();
    fprintf(stderr, "    vendor \"%s\", brand \"%s\", detected %s\n", f->vendor, f->brand,
            hfc_isa_name(best));
    fprintf(stderr, "    sse2 %d ssse3 %d sse4.2 %d popcnt %d avx %d avx2 %d fma %d bmi1 %d "
                    "bmi2 %d f16c %d os_avx %d\n",
            f->sse2, f->ssse3, f->sse42, f->popcnt, f->avx, f->avx2, f->fma, f->bmi1,
            f->bmi2, f->f16c, f->os_avx);
    fprintf(stderr, "    avx512 f %d bw %d vl %d dq %d cd %d vnni %d bf16 %d vbmi %d fp16 %d "
                    "os_avx512 %d\n",
            f->avx512f, f->avx512bw, f->avx512vl, f->avx512dq, f->avx512cd, f->avx512vnni,
            f->avx512bf16, f->avx512vbmi, f->avx512fp16, f->os_avx512);
#if defined(__x86_64__)
    CHECK(f->sse2); /* baseline of x86-64 */
    CHECK(strlen(f->vendor) == 12);
    CHECK(f->brand[0] != '\0' && f->brand[0] != ' ');
    CHECK(strlen(f->brand) == 0 || f->brand[strlen(f->brand) - 1] != ' ');
    /* this machine (the project's build/test box) has AVX-512 F/BW/VL/DQ */
    if (f->avx512f) CHECK(best >= HFC_ISA_AVX2);
    if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->os_avx512)
        CHECK_EQ_INT(best, HFC_ISA_AVX512);
#endif
    /* levels imply their features */
    if (best >= HFC_ISA_AVX2)
        CHECK(f->avx2 && f->fma && f->bmi2 && f->f16c && f->os_avx);
    if (best >= HFC_ISA_AVX512)
        CHECK(f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->os_avx512);
    if (f->avx512f) CHECK(f->avx2); /* no AVX-512 CPU lacks AVX2 */
    if (f->os_avx512) CHECK(f->os_avx);
}

static void test_isa_names(void) {
    for (int i = 0; i < HFC_ISA_COUNT; i++) {
        hfc_isa got = HFC_ISA_COUNT;
        CHECK_OK(hfc_isa_parse(hfc_isa_name((hfc_isa)i), &got));
        CHECK_EQ_INT(got, i);
    }
    CHECK(strcmp(hfc_isa_name(HFC_ISA_SCALAR), "scalar") == 0);
    CHECK(strcmp(hfc_isa_name(HFC_ISA_AVX2), "avx2") == 0);
    CHECK(strcmp(hfc_isa_name(HFC_ISA_AVX512), "avx512") == 0);
    CHECK(strcmp(hfc_isa_name(HFC_ISA_COUNT), "unknown") == 0);
    CHECK(strcmp(hfc_isa_name((hfc_isa)-1), "unknown") == 0);

    hfc_isa got = HFC_ISA_COUNT;
    CHECK_OK(hfc_isa_parse("AVX2", &got));
    CHECK_EQ_INT(got, HFC_ISA_AVX2);
    CHECK_OK(hfc_isa_parse("Scalar", &got));
    CHECK_EQ_INT(got, HFC_ISA_SCALAR);
    CHECK_OK(hfc_isa_parse("AvX512", &got));
    CHECK_EQ_INT(got, HFC_ISA_AVX512);

    static const char *junk[] = {"", "avx", "avx512f", "avx2 ", " avx2", "sse2", "scalarx",
                                 "avx-512", "AVX2\n", "avx\x12", "scal", "2"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        got = HFC_ISA_COUNT;
        CHECK_STATUS(hfc_isa_parse(junk[i], &got), HFC_ERR_INVALID);
        CHECK_EQ_INT(got, HFC_ISA_COUNT); /* untouched */
        CHECK_MSG("scalar, avx2, avx512");
    }
    CHECK_STATUS(hfc_isa_parse(NULL, &got), HFC_ERR_INVALID);
}

static void test_kernels_for(void) {
    hfc_isa best = hfc_isa_detected();
    hfc_kernels k;
    CHECK_OK(hfc_kernels_for(HFC_ISA_SCALAR, &k));
    CHECK(k.isa == HFC_ISA_SCALAR && k.utf8_valid_prefix == hfc_utf8_valid_prefix_ref &&
          k.json_string_span == hfc_json_string_span_ref);
    for (int i = 0; i < HFC_ISA_COUNT; i++) {
        hfc_status st = hfc_kernels_for((hfc_isa)i, &k);
        if (i <= (int)best) {
            CHECK_OK(st);
            CHECK_EQ_INT(k.isa, i);
        } else {
            CHECK_STATUS(st, HFC_ERR_UNSUPPORTED);
            CHECK_MSG(hfc_isa_name((hfc_isa)i));
        }
    }
#if defined(__x86_64__)
    if (best >= HFC_ISA_AVX512) {
        CHECK_OK(hfc_kernels_for(HFC_ISA_AVX512, &k));
        CHECK(k.utf8_valid_prefix == hfc_utf8_valid_prefix_avx512);
    }
#endif
    CHECK_STATUS(hfc_kernels_for(HFC_ISA_COUNT, &k), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_kernels_for((hfc_isa)-1, &k), HFC_ERR_INVALID);
}

static void test_dispatch_env(void) {
    hfc_isa best = hfc_isa_detected();
    const char *orig = getenv("HFC_MAX_ISA");
    char *saved = orig ? strdup(orig) : NULL;

    unsetenv("HFC_MAX_ISA");
    CHECK_OK(hfc_dispatch_init());
    CHECK_EQ_INT(hfc_isa_active(), best);
    CHECK_OK(hfc_dispatch_init()); /* idempotent */
    CHECK_EQ_INT(hfc_isa_active(), best);

    setenv("HFC_MAX_ISA", "scalar", 1);
    CHECK_OK(hfc_dispatch_reinit());
    CHECK_EQ_INT(hfc_isa_active(), HFC_ISA_SCALAR);
    CHECK(hfc_kernels_active.utf8_valid_prefix == hfc_utf8_valid_prefix_ref);
    CHECK_OK(hfc_dispatch_init()); /* init is once: does not re-read the environment */
    CHECK_EQ_INT(hfc_isa_active(), HFC_ISA_SCALAR);

    setenv("HFC_MAX_ISA", "AVX2", 1);
    CHECK_OK(hfc_dispatch_reinit());
    CHECK_EQ_INT(hfc_isa_active(), best < HFC_ISA_AVX2 ? best : HFC_ISA_AVX2);

    setenv("HFC_MAX_ISA", "avx512", 1); /* a cap above the CPU is not an error */
    CHECK_OK(hfc_dispatch_reinit());
    CHECK_EQ_INT(hfc_isa_active(), best);

    CHECK_OK(hfc_dispatch_select(HFC_ISA_SCALAR));
    setenv("HFC_MAX_ISA", "sse4", 1);
    CHECK_STATUS(hfc_dispatch_reinit(), HFC_ERR_INVALID);
    CHECK_MSG("HFC_MAX_ISA=\"sse4\"");
    CHECK_MSG("scalar, avx2, avx512");
    CHECK_EQ_INT(hfc_isa_active(), HFC_ISA_SCALAR); /* unchanged on error */

    setenv("HFC_MAX_ISA", "", 1); /* empty = unset */
    CHECK_OK(hfc_dispatch_reinit());
    CHECK_EQ_INT(hfc_isa_active(), best);

    for (int i = 0; i < HFC_ISA_COUNT; i++) {
        hfc_status st = hfc_dispatch_select((hfc_isa)i);
        CHECK_STATUS(st, i <= (int)best ? HFC_OK : HFC_ERR_UNSUPPORTED);
        CHECK_EQ_INT(hfc_isa_active(), i <= (int)best ? i : (int)best);
        if (st != HFC_OK) CHECK_OK(hfc_dispatch_select(best));
    }

    if (saved) {
        setenv("HFC_MAX_ISA", saved, 1);
        free(saved);
    } else {
        unsetenv("HFC_MAX_ISA");
    }
    CHECK_OK(hfc_dispatch_select(best));
}

/* ---- kernels: hand-written cases (also checks the reference itself) ---- */

static void test_reference_cases(void) {
    static const struct {
        const char *s;
        size_t n, want;
    } utf8[] = {
        {"", 0, 0},
        {"hello", 5, 5},
        {"\xC2\x80", 2, 2},
        {"\xDF\xBF", 2, 2},
        {"\xC1\xBF", 2, 0},            /* overlong 2 */
        {"\xC0\x80", 2, 0},            /* overlong NUL */
        {"a\xE0\xA0\x80", 4, 4},
        {"a\xE0\x9F\xBF", 4, 1},       /* overlong 3 */
        {"\xED\x9F\xBF", 3, 3},
        {"\xED\xA0\x80", 3, 0},        /* surrogate */
        {"\xEF\xBF\xBF", 3, 3},
        {"\xF0\x90\x80\x80", 4, 4},
        {"\xF0\x8F\xBF\xBF", 4, 0},    /* overlong 4 */
        {"\xF4\x8F\xBF\xBF", 4, 4},    /* U+10FFFF */
        {"\xF4\x90\x80\x80", 4, 0},    /* > U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},
        {"ab\xE4\xB8", 4, 2},          /* truncated */
        {"ab\xE4\xB8" "c", 5, 2},
        {"ab\x80", 3, 2},              /* stray continuation */
        {"\xC3\xA9\xA9", 3, 2},        /* one continuation too many */
        {"\xF0\x9F\x98\x80\x80", 5, 4},
        {"\xFF", 1, 0},
        {"x\xC4\xA0y\xE4\xB8\xAD", 8, 8}, /* "Ġ", CJK */
    };
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
        const uint8_t *p = (const uint8_t *)utf8[i].s;
        CHECK_EQ_INT(hfc_utf8_valid_prefix_ref(p, utf8[i].n), utf8[i].want);
        CHECK_EQ_INT(compare_utf8(p, utf8[i].n), 0);
    }
    for (int k = 0; k < n_simd; k++) { /* empty input, even with a NULL pointer */
        CHECK_EQ_INT(simd[k].utf8_valid_prefix(NULL, 0), 0);
        CHECK_EQ_INT(simd[k].json_string_span(NULL, 0), 0);
    }
    CHECK_EQ_INT(hfc_utf8_valid_prefix_ref(NULL, 0), 0);
    CHECK_EQ_INT(hfc_json_string_span_ref(NULL, 0), 0);
    const uint8_t *j = (const uint8_t *)"abc\"def\\\x01";
    CHECK_EQ_INT(hfc_json_string_span_ref(j, 0), 0);
    CHECK_EQ_INT(hfc_json_string_span_ref(j, 3), 3);
    CHECK_EQ_INT(hfc_json_string_span_ref(j, 9), 3);
    CHECK_EQ_INT(hfc_json_string_span_ref(j + 4, 5), 3);
    CHECK_EQ_INT(hfc_json_string_span_ref(j + 8, 1), 0);
    CHECK_EQ_INT(hfc_json_string_span_ref((const uint8_t *)"\x7f\x80\xff\xa2\xdc ", 6), 6);
}

/* ---- kernels: random buffers at every alignment ---- */

#define RANDOM_BUFFERS 3000
#define MAX_RANDOM_LEN 300

static void test_random_buffers(void) {
    uint8_t *src = malloc(MAX_RANDOM_LEN);
    int bad = 0;
    long long before = comparisons;
    for (int it = 0; it < RANDOM_BUFFERS && bad == 0; it++) {
        size_t n = it < 301 ? (size_t)it : rnd_below(MAX_RANDOM_LEN + 1);
        fill_valid(src, n, rnd_below(3) == 0 ? 90 : 30);
        unsigned errors = rnd_below(4) == 0 ? 0 : 1 + rnd_below(3);
        for (unsigned e = 0; e < errors; e++) inject_error(src, n, random_pos(n));
        if (rnd_below(3) == 0 && n > 0) { /* a string-body shape for json_string_span */
            unsigned stops = rnd_below(3);
            for (unsigned s = 0; s < stops; s++) src[random_pos(n)] = json_interesting_byte();
        }
        size_t want_utf8 = hfc_utf8_valid_prefix_ref(src, n);
        size_t want_json = hfc_json_string_span_ref(src, n);
        for (size_t align = 0; align < 64; align++) {
            /* the copy ends exactly at the end of its allocation: ASan sees overreads */
            void *mem = NULL;
            if (posix_memalign(&mem, 64, align + (n ? n : 1)) != 0) abort();
            uint8_t *p = (uint8_t *)mem + align;
            if (n) memcpy(p, src, n);
            bad += compare_at(p, n, align, want_utf8, want_json);
            free(mem);
        }
    }
    free(src);
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    %d buffers x 64 alignments: %lld comparisons\n", RANDOM_BUFFERS,
            comparisons - before);
}

/* ---- kernels: sequences around block edges, followed by ASCII blocks ---- */

/* A sequence (complete or cut short) placed at every offset around the 64-byte block
 * edges, preceded by non-ASCII text and followed by ASCII runs of several lengths:
 * catches a block that ends mid-sequence followed by an all-ASCII block (the fast
 * path), which random text rarely produces. */
static void test_block_edges(void) {
    static const char *const seqs[] = {
        "\xC3",         "\xC3\xA9",         "\xE4",         "\xE4\xB8",     "\xE4\xB8\xAD",
        "\xF0",         "\xF0\x9F",         "\xF0\x9F\x98", "\xF0\x9F\x98\x80",
        "\xE0\xA0",     "\xED\x9F",         "\xF4\x8F\xBF", "\xC4\xA0",     "\x80",
        "\xE4\xB8\xAD\xAD", "\xC3\xA9\xA9", "\xF4\x90",     "\xED\xA0",     "\xC1",
    };
    static const size_t tails[] = {0, 1, 3, 63, 64, 65, 130};
    long long before = comparisons;
    int bad = 0;
    uint8_t *buf = malloc(512);
    for (size_t s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
        size_t len = strlen(seqs[s]);
        for (size_t start = 0; start < 3 * 64 + 8; start++) {
            if (start % 64 > 8 && start % 64 < 56) continue; /* only near the edges */
            for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
                size_t n = start + len + tails[t];
                fill_valid(buf, start, rnd_below(2) ? 0 : 50);
                memcpy(buf + start, seqs[s], len);
                memset(buf + start + len, 'z', tails[t]);
                uint8_t *p = malloc(n ? n : 1);
                memcpy(p, buf, n);
                bad += compare_at(p, n, 0, hfc_utf8_valid_prefix_ref(p, n),
                                  hfc_json_string_span_ref(p, n));
                free(p);
            }
        }
    }
    free(buf);
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    %lld comparisons\n", comparisons - before);
}

/* ---- kernels: exhaustive short inputs ---- */

static void test_exhaustive_utf8(void) {
    long long before = comparisons;
    int bad = 0;
    uint8_t b[4];
    for (int x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        bad += compare_utf8(b, 1);
        for (int y = 0; y < 256; y++) {
            b[1] = (uint8_t)y;
            bad += compare_utf8(b, 2);
        }
    }
    /* every 3-byte input, alone (the tail path); an exact-size heap copy would be
     * slower than the test is worth, the random test covers overreads */
    uint8_t *three = malloc(3);
    for (uint32_t v = 0; v < (1u << 24) && bad < 10; v++) {
        three[0] = (uint8_t)(v >> 16), three[1] = (uint8_t)(v >> 8), three[2] = (uint8_t)v;
        bad += compare_utf8(three, 3);
    }
    free(three);
    /* 3-byte inputs straddling a 64-byte block boundary (62..64, 63..65) and a 16-byte
     * lane boundary (78..80), inside ASCII, for the interesting first bytes */
    static const uint8_t leads[] = {0x41, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
                                    0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    uint8_t ctx[96];
    memset(ctx, 'a', sizeof ctx);
    static const size_t at[] = {62, 63, 78};
    for (size_t a = 0; a < sizeof at / sizeof at[0]; a++) {
        for (size_t l = 0; l < sizeof leads; l++)
            for (uint32_t v = 0; v < (1u << 16); v++) {
                ctx[at[a]] = leads[l], ctx[at[a] + 1] = (uint8_t)(v >> 8);
                ctx[at[a] + 2] = (uint8_t)v;
                bad += compare_utf8(ctx, sizeof ctx);
            }
        memset(ctx, 'a', sizeof ctx);
    }
    /* 4-byte: F0..FF (and a few others) x every second byte x interesting 3rd/4th */
    static const uint8_t inter[] = {0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F,
                                    0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF};
    const size_t ni = sizeof inter;
    uint8_t *four = malloc(4);
    for (int x = 0; x < 256; x++) {
        if (x < 0xF0 && x != 0xE0 && x != 0xED && x != 0xC2 && x != 0x41 && x != 0x80) continue;
        for (int y = 0; y < 256; y++)
            for (size_t z = 0; z < ni; z++)
                for (size_t w = 0; w < ni; w++) {
                    four[0] = (uint8_t)x, four[1] = (uint8_t)y, four[2] = inter[z],
                    four[3] = inter[w];
                    bad += compare_utf8(four, 4);
                    /* and the same straddling the 64-byte boundary */
                    memcpy(ctx + 61 + (w & 3), four, 4);
                    bad += compare_utf8(ctx, sizeof ctx);
                    memset(ctx + 61, 'a', 8);
                }
    }
    free(four);
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    %lld comparisons\n", comparisons - before);
}

/* Every byte value at every position of every length 1..130: the json masks and the
 * AVX2 32/16/8-byte and scalar tails. */
static void test_exhaustive_json(void) {
    long long before = comparisons;
    int bad = 0;
    for (size_t n = 1; n <= 130 && bad == 0; n++) {
        uint8_t *p = malloc(n);
        memset(p, 'a', n);
        for (size_t pos = 0; pos < n; pos++) {
            for (int v = 0; v < 256; v++) {
                p[pos] = (uint8_t)v;
                bad += compare_json(p, n);
            }
            p[pos] = (uint8_t)(0x80 + pos % 0x80); /* later positions: high-bit background */
        }
        free(p);
    }
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    %lld comparisons\n", comparisons - before);
}

/* ---- kernels: 1 MB of text, one error at a time ---- */

#define BIG (1u << 20)

static void test_big_buffer(void) {
    long long before = comparisons;
    uint8_t *p = malloc(BIG);
    /* segments of different shape: ASCII runs, BPE-like 2-byte, CJK, mixed */
    size_t i = 0;
    while (i < BIG) {
        size_t seg = 1 + rnd_below(4096);
        if (seg > BIG - i) seg = BIG - i;
        unsigned kind = rnd_below(4);
        if (kind == 0) {
            fill_valid(p + i, seg, 100);
        } else if (kind == 1 || kind == 2) {
            size_t k = i, end = i + seg;
            while (k < end) {
                uint32_t cp = kind == 1 ? (rnd_below(3) ? 0x100 + rnd_below(0x80) : 'a' + rnd_below(26))
                                        : 0x4E00 + rnd_below(0x5200);
                uint8_t tmp[4];
                size_t len = put_utf8(tmp, cp);
                if (len > end - k) len = put_utf8(tmp, ' ');
                memcpy(p + k, tmp, len);
                k += len;
            }
        } else {
            fill_valid(p + i, seg, 20);
        }
        i += seg;
    }
    int bad = 0;
    CHECK_EQ_INT(hfc_utf8_valid_prefix_ref(p, BIG), BIG);
    bad += compare_utf8(p, BIG);

    uint8_t *saved = malloc(8);
    for (int e = 0; e < 400 && bad == 0; e++) {
        size_t pos = e < 16 ? BIG - 1 - (size_t)e : random_pos(BIG);
        if (pos + 8 > BIG) pos = BIG - 8 + (pos % 8);
        size_t keep = BIG - pos < 8 ? BIG - pos : 8;
        memcpy(saved, p + pos, keep);
        inject_error(p, BIG, pos);
        bad += compare_utf8(p, BIG);
        memcpy(p + pos, saved, keep);
        /* and one json stop byte */
        uint8_t old = p[pos];
        p[pos] = json_interesting_byte();
        bad += compare_json(p, BIG);
        p[pos] = old;
    }
    /* truncations: every prefix length near the end and at random cut points */
    for (int c = 0; c < 300 && bad == 0; c++) {
        size_t n = c < 70 ? BIG - (size_t)c : rnd_below(BIG);
        bad += compare_utf8(p, n);
    }
    free(saved);
    free(p);
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    %lld comparisons over 1 MB\n", comparisons - before);
}

int main(void) {
    RUN(test_table_before_init);
    RUN(test_detect);
    RUN(test_isa_names);
    RUN(test_kernels_for);
    RUN(test_dispatch_env);
    collect_simd_levels();
    fprintf(stderr, "  SIMD levels tested against the reference:");
    for (int k = 0; k < n_simd; k++) fprintf(stderr, " %s", hfc_isa_name(simd[k].isa));
    fprintf(stderr, "%s\n", n_simd ? "" : " (none on this CPU)");
    RUN(test_reference_cases);
    RUN(test_random_buffers);
    RUN(test_block_edges);
    RUN(test_exhaustive_utf8);
    RUN(test_exhaustive_json);
    RUN(test_big_buffer);
    fprintf(stderr, "  %lld kernel comparisons in all\n", comparisons);
    return test_summary();
}
