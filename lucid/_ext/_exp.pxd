# The exponentials of a row of scores shifted by its maximum, e[i] = exp(z[i] - max(z)),
# and their sum: the first half of a softmax, for the compiled twins whose rows are
# softmaxes (softmax, log-softmax, cross-entropy); and the log-softmax's backward row,
# whose exponentials are the softmax. cimported: compiled into
# each module that uses it.
#
# Why not the C library's exp: it is a function call per element that the compiler
# cannot vectorise, and ran 3x slower than NumPy's exp. NumPy's is vectorised, but it is
# a Python call on a whole array, so a kernel that uses it must make a pass over memory
# for it alone (and cannot run it inside a prange). Here exp is written out as the
# arithmetic every vectorised exp does, so the compiler turns the row loop into vector
# instructions:
#
#     e^x = 2^k * e^r,   k = round(x / ln 2),   r = x - k ln 2  in [-ln2/2, ln2/2]
#
# * r is found in two steps, k * 0.693359375 (exact: few bits) and k * -2.1219444e-4,
#   so that the subtraction loses nothing (Cody and Waite's reduction);
# * e^r is the degree-7 polynomial 1 + r + r^2 (1/2 + r (1/6 + ...)) whose
#   coefficients are Cephes' expf fit (S. Moshier), accurate to a rounding on [-ln2/2, ln2/2];
# * 2^k is built from its bits: the exponent field of a float is k + 127. It is applied
#   as 2^(k//2) * 2^(k - k//2), so that results down to e^-104 (k = -150, below the
#   smallest normal float) come out as the right subnormal numbers, or 0.
# * round(x / ln 2) is (x log2(e) + 1.5 * 2^23) - 1.5 * 2^23: adding 1.5 * 2^23 leaves
#   no bits for a fraction, so the addition rounds to the nearest integer (the compiler
#   keeps the two operations: it may not reassociate floating-point arithmetic).
#
# Measured over every 7th float from -110 to 90 against exp in double: at most 1.01
# units in the last place; NaN stays NaN, -inf gives 0, and x above 88.72 gives inf.
#
# The float32 row function (the max, the exponentials and their sum, in C) is compiled
# three times by gcc on x86-64 Linux (target_clones): for AVX-512, for AVX2 and for the
# baseline (SSE2), and the loader picks the one the processor runs. Measured on a row of
# 10,000 values in the cache, per value: exp alone 0.40-0.46 ns with AVX-512 (NumPy's
# exp: 0.45) and 1.7 ns with SSE2; the whole row function 0.54 ns (AVX-512), 1.0 ns
# (AVX2), 2.3 ns (SSE2). The clones with fused multiply-add can differ from the baseline
# in the last bit. Elsewhere (other compilers, other processors) there is one build for
# the baseline. The SSE2 loop is vectorised only because setup.py passes
# -fno-trapping-math (the selects of the range clamps: without it gcc must assume a
# comparison may trap, and keeps a branch per element).
#
# Only float32 has this path; a float64 row calls the C library's exp per value (float64
# is what gradcheck runs, not what a model trains in), with _sums' max and sum.

from libc.math cimport exp

from lucid._ext._sums cimport row_max, sum_lanes

ctypedef fused exp_real:
    float
    double


cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    #include <math.h>

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define LUCID_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define LUCID_CLONES
    #endif

    /* 2^k for a k whose biased exponent k + 127 is in [1, 254]: the float's bits. */
    static inline float lucid_pow2i(int32_t k) {
        union { int32_t bits; float value; } u;
        u.bits = (k + 127) << 23;
        return u.value;
    }

    static inline float lucid_expf(float x) {
        const float log2e = 1.44269504088896341f, round = 12582912.0f;  /* 1.5 * 2^23 */
        const float biggest = 88.72283935546875f;    /* above: e^x overflows to inf */
        float k, r, p, y;
        int32_t ki, half;
        int overflow = x > biggest;
        x = x < -104.0f ? -104.0f : x;                /* below: e^x rounds to 0 */
        x = x > biggest ? biggest : x;                /* (a NaN passes both) */
        k = (x * log2e + round) - round;              /* round(x / ln 2) */
        r = x - k * 0.693359375f;
        r = r - k * -2.12194440e-4f;
        p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        y = p * (r * r) + r + 1.0f;                   /* e^r */
        ki = (int32_t)k;
        half = ki >> 1;
        y = y * lucid_pow2i(half) * lucid_pow2i(ki - half);
        return overflow ? (float)INFINITY : y;
    }

    /* m = max(z), e = exp(z - m); returns sum(e) in double and m in *shift. The
       "omp simd" reductions let the compiler keep a max and a sum per vector lane
       (without them it may not reorder them and keeps one scalar chain). A NaN may be
       passed over by the max, but exp(NaN - m) is NaN and the sum with it. */
    LUCID_CLONES
    static double lucid_exp_row_f(const float* z, float* e, ptrdiff_t n, float* shift) {
        float m = z[0];
        double total = 0;
        #pragma omp simd reduction(max:m)
        for (ptrdiff_t i = 0; i < n; i++)
            m = z[i] > m ? z[i] : m;
        #pragma omp simd reduction(+:total)
        for (ptrdiff_t i = 0; i < n; i++) {
            float v = lucid_expf(z[i] - m);
            e[i] = v;
            total += v;
        }
        *shift = m;
        return total;
    }

    /* The log-softmax's gradient along a row of its output y: gx = g - exp(y) sum(g),
       the sum in double. */
    LUCID_CLONES
    static void lucid_log_softmax_grad_row_f(const float* y, const float* g, float* gx,
                                             ptrdiff_t n) {
        double total = 0;
        float s;
        #pragma omp simd reduction(+:total)
        for (ptrdiff_t i = 0; i < n; i++)
            total += g[i];
        s = (float)total;
        for (ptrdiff_t i = 0; i < n; i++)
            gx[i] = g[i] - lucid_expf(y[i]) * s;
    }
    """
    double lucid_exp_row_f(const float* z, float* e, Py_ssize_t n, float* shift) noexcept nogil
    void lucid_log_softmax_grad_row_f(const float* y, const float* g, float* gx,
                                      Py_ssize_t n) noexcept nogil


# e[0:n] = exp(z[0:n] - m) with m = max(z[0:n]) (n >= 1): returns sum(e) in double and
# puts m in shift[0]. A row with a NaN comes out all NaN (its sum is NaN).
cdef inline double exp_row(const exp_real* z, exp_real* e, Py_ssize_t n,
                           exp_real* shift) noexcept nogil:
    cdef Py_ssize_t i
    cdef exp_real m
    if exp_real is float:
        return lucid_exp_row_f(z, e, n, shift)
    else:
        m = row_max(z, n)
        for i in range(n):
            e[i] = exp(z[i] - m)
        shift[0] = m
        return sum_lanes(e, n)


# gx[0:n] = g[0:n] - exp(y[0:n]) * sum(g[0:n]): the log-softmax's backward along a row of
# its output y (exp(y) is the softmax), the sum in double.
cdef inline void log_softmax_grad_row(const exp_real* y, const exp_real* g, exp_real* gx,
                                      Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef exp_real s
    if exp_real is float:
        lucid_log_softmax_grad_row_f(y, g, gx, n)
    else:
        s = <exp_real>sum_lanes(g, n)
        for i in range(n):
            gx[i] = g[i] - exp(y[i]) * s
