# Which vector code this machine runs: one rule for the compiled twins' hand-blocked
# loops (a .pxd: cimported, compiled into each; _blocked.pxd's convolution, _panels.pxd's
# product).
#
# Those loops hold their sums in AVX-512's 32 vector registers. They are compiled
# twice, for AVX-512 and for the baseline (GCC's target_clones: LUCID_SIMD_CLONES), on
# GCC for x86-64 Linux; a kernel takes them only where lucid_avx512() says the AVX-512
# copy runs (on the baseline their sums do not fit the 16 SSE registers and they
# would be slower than the path they replace). Other compilers: lucid_avx512() is 0.

cdef extern from *:
    """
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define LUCID_SIMD_CLONES __attribute__((target_clones("avx512f", "default")))
    static int lucid_avx512(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
    }
    #else
    #define LUCID_SIMD_CLONES
    static int lucid_avx512(void) { return 0; }
    #endif
    """
    int lucid_avx512() noexcept nogil
