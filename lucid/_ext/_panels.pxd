# The register-blocked matrix product (float32): the path "panels" of _matmul.pyx.
# cimported: compiled into it.
#
# C = op(A) @ op(B), C (M, N) row-major, op(A)[i, k] = A[i * ras + k * cas] and
# op(B)[k, j] = B[k * rbs + j * cbs] (any strides: a transposed view is just other
# strides). The loop nest, for the panels [j_first, j_last) of LUCID_PANEL columns:
#
#     for each panel of 32 columns j0:
#         for each block of LUCID_PANEL_K values of k, k0:
#             P[k, 0:32] = op(B)[k0 + k, j0 : j0 + 32]           # packed, zero padded
#             for each block of 12 (or 8, 4, 2, 1) rows i0:
#                 acc[12][32] = 0                              # 24 vector registers
#                 for k in range(LUCID_PANEL_K):
#                     b = P[k, 0:32]                          # 2 loads
#                     for r in range(12):
#                         acc[r] += op(A)[i0 + r, k0 + k] * b  # 1 broadcast, 2 multiply-adds
#                 C[i0 : i0 + 12, j0 : j0 + 32] (+)= acc      # += after the first block of k
#
# A last panel of at most 16 columns (N = 200: columns 192 .. 199) keeps one vector a
# row, acc[12][16]: half the multiply-adds. The LSTM's backward step (H = 200: seven
# panels, three on one thread and four on the other) 1.65-1.69 -> 1.55-1.57 ms a layer.
#
# Why it is faster than NumPy's OpenBLAS on a layer's products: the 12 x 32 block of C
# stays in registers from its first term to its last, each vector of B loaded feeds 12
# multiply-adds and each value of A read feeds 2; only B is copied (packed once per
# panel, in k-blocks that stay in the L1 cache: 256 x 32 floats, 32 KB), and A is
# read where it lies. OpenBLAS packs both operands for every call, which costs most
# where K is small (a Transformer's 64). One thread, float32, against np.matmul:
# 1024x64 @ 64x64 56 against 70 us, 1024x64 @ 64x192 162 against 182, 1024x192 @
# 192x64 143 against 178, 128x256 @ 256x256 119 against 137, 128x784 @ 784x256 376
# against 402 (MKL, in PyTorch: 53, 151, -, 106, 327).
#
# Every element of C is the same sum in the same order (k ascending, one fused
# multiply-add per term, a partial sum per k-block added to C in order), whichever
# block of rows or panel it falls in and whichever thread computes it: the result does
# not depend on how the work is shared. The vectors are GCC's vector extensions
# (vector_size(64): 16 floats), compiled for AVX-512 and the baseline (_simd.pxd);
# _matmul.pyx takes the path only where lucid_avx512() says the AVX-512 copy runs.
# Other compilers get the product as plain loops, never called.

from lucid._ext._simd cimport lucid_avx512

cdef extern from *:
    """
    #include <stddef.h>
    #include <string.h>

    #define LUCID_PANEL 32        /* columns of C per panel: two vectors of 16 floats */
    #define LUCID_PANEL_K 256     /* values of k per packed block (32 KB: the L1 cache) */

    /* Pack op(B)[0:K, j0 : j0 + cols] into P (K x LUCID_PANEL), zero padded. */
    static void lucid_panel_pack(const float* B, ptrdiff_t rbs, ptrdiff_t cbs,
                                 ptrdiff_t K, ptrdiff_t j0, int cols, float* P) {
        if (cbs == 1) {                        /* rows of op(B) lie in memory: copy */
            for (ptrdiff_t k = 0; k < K; k++) {
                memcpy(P + k * LUCID_PANEL, B + k * rbs + j0, cols * sizeof(float));
                for (int j = cols; j < LUCID_PANEL; j++) P[k * LUCID_PANEL + j] = 0;
            }
            return;
        }
        for (ptrdiff_t k = 0; k < K; k++)      /* a transposed view (w.T): 16 k at a */
            for (int j = cols; j < LUCID_PANEL; j++)   /* time, so the 16 rows of P */
                P[k * LUCID_PANEL + j] = 0;            /* written stay in the cache */
        for (ptrdiff_t kb = 0; kb < K; kb += 16) {
            ptrdiff_t ke = kb + 16 < K ? kb + 16 : K;
            for (int j = 0; j < cols; j++) {
                const float* b = B + (j0 + j) * cbs;
                for (ptrdiff_t k = kb; k < ke; k++) P[k * LUCID_PANEL + j] = b[k * rbs];
            }
        }
    }

    #if defined(__GNUC__)
    typedef float lucid_p16 __attribute__((vector_size(64), aligned(4)));   /* unaligned */

    /* rows x cols of C, cols <= 16 (a last panel's few columns), from the first 16
       columns of the packed block P: one vector a row, so a last panel of up to 16
       columns costs half a whole panel's multiply-adds, not all of them. Each value is
       the same sum, in the same order and with the same fused multiply-adds, as
       lucid_panel_block's. (Not 8 columns in a 256-bit vector: the AVX-512 clone is
       compiled for avx512f, which has fused multiply-adds for 512-bit vectors only, so
       GCC made a multiply and an add there: other bits.) */
    static inline __attribute__((always_inline)) void lucid_panel_block16(
            int rows, const float* A, ptrdiff_t ras, ptrdiff_t cas, const float* P,
            ptrdiff_t K, float* C, ptrdiff_t ldc, int cols, int first) {
        lucid_p16 acc[12];
        for (int r = 0; r < rows; r++) acc[r] = (lucid_p16){0};
        for (ptrdiff_t k = 0; k < K; k++) {
            lucid_p16 b = *(const lucid_p16*)(P + k * LUCID_PANEL);
            const float* a = A + k * cas;
            for (int r = 0; r < rows; r++) acc[r] += a[r * ras] * b;
        }
        for (int r = 0; r < rows; r++) {
            float t[16];
            float* c = C + r * ldc;
            *(lucid_p16*)t = acc[r];
            for (int j = 0; j < cols; j++) c[j] = first ? t[j] : c[j] + t[j];
        }
    }

    /* rows x 32 of C from rows of op(A) and the packed block P (K x 32); ``first``:
       store, else add to C. Always inlined with ``rows`` written in, so the loops over
       rows unroll and acc stays in registers. A last panel of at most 16 columns goes
       to lucid_panel_block16. */
    static inline __attribute__((always_inline)) void lucid_panel_block(
            int rows, const float* A, ptrdiff_t ras, ptrdiff_t cas, const float* P,
            ptrdiff_t K, float* C, ptrdiff_t ldc, int cols, int first) {
        if (cols <= 16) {
            lucid_panel_block16(rows, A, ras, cas, P, K, C, ldc, cols, first);
            return;
        }
        lucid_p16 acc[12][2];
        for (int r = 0; r < rows; r++) {
            acc[r][0] = (lucid_p16){0};
            acc[r][1] = (lucid_p16){0};
        }
        for (ptrdiff_t k = 0; k < K; k++) {
            lucid_p16 b0 = *(const lucid_p16*)(P + k * LUCID_PANEL);
            lucid_p16 b1 = *(const lucid_p16*)(P + k * LUCID_PANEL + 16);
            const float* a = A + k * cas;
            for (int r = 0; r < rows; r++) {
                float s = a[r * ras];
                acc[r][0] += s * b0;
                acc[r][1] += s * b1;
            }
        }
        for (int r = 0; r < rows; r++) {
            float* c = C + r * ldc;
            if (cols == LUCID_PANEL) {
                if (!first) {
                    acc[r][0] += *(lucid_p16*)c;
                    acc[r][1] += *(lucid_p16*)(c + 16);
                }
                *(lucid_p16*)c = acc[r][0];
                *(lucid_p16*)(c + 16) = acc[r][1];
            } else {                           /* the last panel: cols < 32 */
                float t[LUCID_PANEL];
                *(lucid_p16*)t = acc[r][0];
                *(lucid_p16*)(t + 16) = acc[r][1];
                for (int j = 0; j < cols; j++) c[j] = first ? t[j] : c[j] + t[j];
            }
        }
    }

    /* Panels [p_first, p_last) of C, rows [i_first, i_last); P: LUCID_PANEL_K x 32
       floats of the calling thread's own. (``unused``: _rnn.pyx cimports this file for
       lucid_panel_block alone.) */
    LUCID_SIMD_CLONES __attribute__((unused))
    static void lucid_panels_f(const float* A, ptrdiff_t ras, ptrdiff_t cas,
                               const float* B, ptrdiff_t rbs, ptrdiff_t cbs, float* C,
                               ptrdiff_t ldc, ptrdiff_t i_first, ptrdiff_t i_last,
                               ptrdiff_t N, ptrdiff_t K, ptrdiff_t p_first,
                               ptrdiff_t p_last, float* P) {
        for (ptrdiff_t p = p_first; p < p_last; p++) {
            ptrdiff_t j0 = p * LUCID_PANEL;
            int cols = N - j0 < LUCID_PANEL ? (int)(N - j0) : LUCID_PANEL;
            for (ptrdiff_t k0 = 0; k0 < K; k0 += LUCID_PANEL_K) {
                ptrdiff_t kk = K - k0 < LUCID_PANEL_K ? K - k0 : LUCID_PANEL_K;
                int first = k0 == 0;
                lucid_panel_pack(B + k0 * rbs, rbs, cbs, kk, j0, cols, P);
                const float* a0 = A + k0 * cas;
                float* c0 = C + j0;
                ptrdiff_t i = i_first;
                /* blocks of 12 rows, then the rest by 8, 4, 2 and 1 (each a block of
                   its own height written in, so its loops unroll) */
                #define LUCID_PANEL_ROWS(R) \
                    for (; i + R <= i_last; i += R) \
                        lucid_panel_block(R, a0 + i * ras, ras, cas, P, kk, c0 + i * ldc, \
                                          ldc, cols, first);
                LUCID_PANEL_ROWS(12)
                LUCID_PANEL_ROWS(8)
                LUCID_PANEL_ROWS(4)
                LUCID_PANEL_ROWS(2)
                LUCID_PANEL_ROWS(1)
                #undef LUCID_PANEL_ROWS
            }
        }
    }
    #else
    /* Other compilers: the product as plain loops (lucid_avx512() is 0 there, so
       _matmul.pyx never calls this; it is here so the module compiles). */
    static void lucid_panels_f(const float* A, ptrdiff_t ras, ptrdiff_t cas,
                               const float* B, ptrdiff_t rbs, ptrdiff_t cbs, float* C,
                               ptrdiff_t ldc, ptrdiff_t i_first, ptrdiff_t i_last,
                               ptrdiff_t N, ptrdiff_t K, ptrdiff_t p_first,
                               ptrdiff_t p_last, float* P) {
        (void)P;
        for (ptrdiff_t i = i_first; i < i_last; i++)
            for (ptrdiff_t j = p_first * LUCID_PANEL; j < N && j < p_last * LUCID_PANEL; j++) {
                float s = 0;
                for (ptrdiff_t k = 0; k < K; k++) s += A[i * ras + k * cas] * B[k * rbs + j * cbs];
                C[i * ldc + j] = s;
            }
    }
    #endif
    """
    int LUCID_PANEL
    int LUCID_PANEL_K
    void lucid_panels_f(const float* A, Py_ssize_t ras, Py_ssize_t cas, const float* B,
                        Py_ssize_t rbs, Py_ssize_t cbs, float* C, Py_ssize_t ldc,
                        Py_ssize_t i_first, Py_ssize_t i_last, Py_ssize_t N, Py_ssize_t K,
                        Py_ssize_t p_first, Py_ssize_t p_last, float* P) noexcept nogil
