/* CPU feature detection (cpuid + xgetbv) and the kernel dispatch table.
 *
 * Detection runs once (pthread_once) and is cached. The table hfc_kernels_active is
 * statically initialised to the scalar references, so callers may use it before
 * hfc_dispatch_init() runs; init then raises it to min(detected, HFC_MAX_ISA).
 */
#include "hfc/cpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* Scalar until hfc_dispatch_init runs; the models entries are filled lazily too
 * (hfc_models_kernels_fill), so they are NULL here: kernels.h's entry points call
 * hfc_dispatch_init first. */
hfc_kernels hfc_kernels_active = {
    .isa = HFC_ISA_SCALAR,
    .utf8_valid_prefix = hfc_utf8_valid_prefix_ref,
    .json_string_span = hfc_json_string_span_ref,
};

/* ---- detection ---- */

static hfc_cpu_features cpu_features;
static hfc_isa cpu_isa_detected = HFC_ISA_SCALAR;
static pthread_once_t cpu_detect_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
static bool bit(unsigned reg, unsigned n) { return (reg >> n) & 1u; }

/* XCR0: which register states the OS saves on context switch. Only valid to execute
 * when CPUID.1:ECX.OSXSAVE is set. */
static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static void detect_x86(hfc_cpu_features *f) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(0, 0, &a, &b, &c, &d)) return;
    unsigned max_leaf = a;
    memcpy(f->vendor + 0, &b, 4); /* "GenuineIntel" = EBX, EDX, ECX */
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    f->vendor[12] = '\0';

    bool osxsave = false;
    if (max_leaf >= 1 && __get_cpuid_count(1, 0, &a, &b, &c, &d)) {
        f->sse2 = bit(d, 26);
        f->ssse3 = bit(c, 9);
        f->fma = bit(c, 12);
        f->sse41 = bit(c, 19);
        f->sse42 = bit(c, 20);
        f->popcnt = bit(c, 23);
        osxsave = bit(c, 27);
        f->avx = bit(c, 28);
        f->f16c = bit(c, 29);
    }
    if (max_leaf >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        unsigned max_sub7 = a;
        f->bmi1 = bit(b, 3);
        f->avx2 = bit(b, 5);
        f->bmi2 = bit(b, 8);
        f->avx512f = bit(b, 16);
        f->avx512dq = bit(b, 17);
        f->avx512cd = bit(b, 28);
        f->avx512bw = bit(b, 30);
        f->avx512vl = bit(b, 31);
        f->avx512vbmi = bit(c, 1);
        f->avx512vnni = bit(c, 11);
        f->avx512fp16 = bit(d, 23);
        if (max_sub7 >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
            f->avx512bf16 = bit(a, 5);
    }
    if (osxsave) {
        uint64_t xcr0 = read_xcr0();
        f->os_avx = (xcr0 & 0x6) == 0x6;     /* XMM | YMM */
        f->os_avx512 = (xcr0 & 0xE6) == 0xE6; /* XMM | YMM | opmask | ZMM_Hi256 | Hi16_ZMM */
    }

    if (__get_cpuid_count(0x80000000u, 0, &a, &b, &c, &d) && a >= 0x80000004u) {
        uint32_t words[12];
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid_count(0x80000002u + i, 0, &words[4 * i], &words[4 * i + 1],
                              &words[4 * i + 2], &words[4 * i + 3]);
        char raw[49];
        memcpy(raw, words, 48);
        raw[48] = '\0';
        const char *s = raw;
        while (*s == ' ') s++; /* Intel pads the brand string on the left */
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == ' ') len--;
        memcpy(f->brand, s, len);
        f->brand[len] = '\0';
    }
}
#endif

static hfc_isa isa_from_features(const hfc_cpu_features *f) {
    /* avx and bmi1 are implied on every real AVX2 CPU; checked because the AVX2 kernels
     * are compiled with target("avx2,fma,bmi,bmi2"). */
    bool avx2 = f->avx && f->avx2 && f->fma && f->bmi1 && f->bmi2 && f->f16c && f->os_avx;
    if (!avx2) return HFC_ISA_SCALAR;
    bool avx512 = f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->os_avx512;
    return avx512 ? HFC_ISA_AVX512 : HFC_ISA_AVX2;
}

static void cpu_detect_run(void) {
    memset(&cpu_features, 0, sizeof cpu_features);
#if defined(__x86_64__) || defined(__i386__)
    detect_x86(&cpu_features);
#endif
    cpu_isa_detected = isa_from_features(&cpu_features);
}

const hfc_cpu_features *hfc_cpu_detect(void) {
    pthread_once(&cpu_detect_once, cpu_detect_run);
    return &cpu_features;
}

hfc_isa hfc_isa_detected(void) {
    hfc_cpu_detect();
    return cpu_isa_detected;
}

/* ---- ISA names ---- */

static const char *const isa_names[HFC_ISA_COUNT] = {"scalar", "avx2", "avx512"};

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

const char *hfc_isa_name(hfc_isa isa) {
    if ((unsigned)isa >= HFC_ISA_COUNT) return "unknown";
    return isa_names[isa];
}

hfc_status hfc_isa_parse(const char *s, hfc_isa *out) {
    if (s != NULL) {
        for (int i = 0; i < HFC_ISA_COUNT; i++) {
            const char *name = isa_names[i];
            size_t k = 0;
            while (name[k] && ascii_lower(s[k]) == name[k]) k++;
            if (name[k] == '\0' && s[k] == '\0') {
                *out = (hfc_isa)i;
                return HFC_OK;
            }
        }
    }
    return hfc_fail(HFC_ERR_INVALID, "unknown ISA level \"%s\" (valid: scalar, avx2, avx512)",
                    s ? s : "(null)");
}

/* ---- the table ---- */

hfc_status hfc_kernels_for(hfc_isa isa, hfc_kernels *out) {
    if ((unsigned)isa >= HFC_ISA_COUNT)
        return hfc_fail(HFC_ERR_INVALID, "ISA level %d out of range", (int)isa);
    if (isa > hfc_isa_detected())
        return hfc_fail(HFC_ERR_UNSUPPORTED, "ISA level %s not supported by this CPU (best: %s)",
                        hfc_isa_name(isa), hfc_isa_name(hfc_isa_detected()));
    hfc_kernels k = {.isa = HFC_ISA_SCALAR,
                     .utf8_valid_prefix = hfc_utf8_valid_prefix_ref,
                     .json_string_span = hfc_json_string_span_ref};
    switch (isa) {
    case HFC_ISA_SCALAR:
        break;
#if defined(__x86_64__)
    case HFC_ISA_AVX2:
        k = (hfc_kernels){.isa = HFC_ISA_AVX2,
                          .utf8_valid_prefix = hfc_utf8_valid_prefix_avx2,
                          .json_string_span = hfc_json_string_span_avx2};
        break;
    case HFC_ISA_AVX512:
        k = (hfc_kernels){.isa = HFC_ISA_AVX512,
                          .utf8_valid_prefix = hfc_utf8_valid_prefix_avx512,
                          .json_string_span = hfc_json_string_span_avx512};
        break;
#endif
    default: /* detected above scalar on a build without those kernels (i386) */
        return hfc_fail(HFC_ERR_UNSUPPORTED, "ISA level %s not built into this binary",
                        hfc_isa_name(isa));
    }
    hfc_models_kernels_fill(isa, &k);
    *out = k;
    return HFC_OK;
}

hfc_status hfc_dispatch_select(hfc_isa isa) {
    hfc_kernels k;
    HFC_TRY(hfc_kernels_for(isa, &k));
    hfc_kernels_active = k;
    return HFC_OK;
}

hfc_isa hfc_isa_active(void) { return hfc_kernels_active.isa; }

/* Select min(detected, HFC_MAX_ISA). An empty HFC_MAX_ISA counts as unset. On an
 * unknown name the table is left unchanged. */
hfc_status hfc_dispatch_reinit(void) {
    hfc_isa want = hfc_isa_detected();
    const char *env = getenv("HFC_MAX_ISA");
    if (env != NULL && env[0] != '\0') {
        hfc_isa cap = HFC_ISA_SCALAR;
        if (hfc_isa_parse(env, &cap) != HFC_OK)
            return hfc_fail(HFC_ERR_INVALID,
                            "HFC_MAX_ISA=\"%s\" is not an ISA level (valid: scalar, avx2, avx512)",
                            env);
        if (cap < want) want = cap;
    }
    return hfc_dispatch_select(want);
}

/* hfc_dispatch_init runs the selection once; later calls (any thread) return the same
 * status and, on failure, the same message. */
static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;
static hfc_status dispatch_status;
static char dispatch_message[HFC_ERROR_MESSAGE_MAX];

static void dispatch_init_run(void) {
    dispatch_status = hfc_dispatch_reinit();
    if (dispatch_status != HFC_OK) {
        const char *msg = hfc_error_message();
        size_t len = strlen(msg);
        if (len >= sizeof dispatch_message) len = sizeof dispatch_message - 1;
        memcpy(dispatch_message, msg, len);
        dispatch_message[len] = '\0';
    }
}

hfc_status hfc_dispatch_init(void) {
    pthread_once(&dispatch_once, dispatch_init_run);
    if (dispatch_status != HFC_OK) return hfc_fail(dispatch_status, "%s", dispatch_message);
    return HFC_OK;
}
