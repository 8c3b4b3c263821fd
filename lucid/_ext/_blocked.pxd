# The register-blocked convolution of one sample (float32, 2-d, stride 1, no dilation, one
# group): the convolution path "blocked" of _conv.pyx. cimported: compiled into it.
#
# The loop nest, for a zero-padded sample xp (C_in, Hp, Wp) and a kernel K_H x K_W:
#
#     for each block of 8 output channels cb and each output row oh:
#         for each block of 32 (or 16) output columns ow:
#             acc[8][32] = 0                                  # 16 vector registers
#             for ci in range(C_in):
#                 for kh in range(K_H):
#                     for kw in range(K_W):
#                         v = xp[ci, oh + kh, ow + kw : ow + kw + 32]     # 2 loads
#                         for c in range(8):
#                             acc[c] += w[cb * 8 + c, ci, kh, kw] * v     # 16 multiply-adds
#             y[cb * 8 : cb * 8 + 8, oh, ow : ow + 32] = acc
#
# Why it is fast: the 8 x 32 block of output stays in the processor's registers from its
# first term to its last (8 channels x 2 vectors of 16 floats: 16 of AVX-512's 32
# registers), each input vector loaded is used for 8 multiply-adds, and the weights,
# repacked so the 8 channels of a tap lie side by side, are read in order. The GEMM
# path first copies every input value prod(K) times into a column matrix (im2col, on
# the 16->16 convolution at 32x32 about 40% of its time) and OpenBLAS multiplies a
# matrix of 16 rows, which it does slowly; here each output is its sum, computed once.
#
# The vectors are GCC's vector extensions (vector_size(64): 16 floats), so the code
# says what each instruction does and no loop is left to the auto-vectoriser (which
# kept the accumulators in memory when the block was 16 columns wide). The function is
# compiled for AVX-512 and for the baseline (target_clones, as in _exp.pxd) on GCC,
# x86-64 Linux; _conv.pyx takes the path only where lucid_blocked_wide() says the
# AVX-512 clone runs (on the baseline the 16 accumulators do not fit in the 16 SSE
# registers: it would be slower than the GEMM path). The sums run in the order written
# (ci, kh, kw), each term a fused multiply-add: the rounding differs from the GEMM
# path's, within float tolerance. Elsewhere (other compilers) a plain loop nest of the
# same sums is compiled and lucid_blocked_wide() is 0.

cdef extern from *:
    """
    #include <stddef.h>
    #include <string.h>

    #define LUCID_BLOCK_CHANNELS 8

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define LUCID_BLOCKED_CLONES __attribute__((target_clones("avx512f", "default")))
    static int lucid_blocked_wide(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
    }
    #else
    #define LUCID_BLOCKED_CLONES
    static int lucid_blocked_wide(void) { return 0; }
    #endif

    #if defined(__GNUC__)
    typedef float lucid_v16 __attribute__((vector_size(64)));
    typedef float lucid_v16u __attribute__((vector_size(64), aligned(4)));   /* unaligned */

    /* One block: LUCID_BLOCK_CHANNELS output channels x 16 * nv columns (nv = 1 or 2
       vectors) of output row oh, columns from ow; ``valid`` of them are stored (the
       rest lie past the row). Always inlined, and called with nv, KH and KW written
       in, so the compiler unrolls the loops over them and keeps acc in registers. */
    static inline __attribute__((always_inline)) void lucid_block(
            int nv, const float* xp, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp,
            ptrdiff_t KH, ptrdiff_t KW, const float* wb, float* y, ptrdiff_t y_plane,
            ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t valid) {
        lucid_v16 acc[LUCID_BLOCK_CHANNELS][2];
        for (int c = 0; c < LUCID_BLOCK_CHANNELS; c++)
            for (int v = 0; v < nv; v++)
                acc[c][v] = (lucid_v16){0};
        for (ptrdiff_t ci = 0; ci < C_in; ci++)
            for (ptrdiff_t kh = 0; kh < KH; kh++) {
                const float* row = xp + (ci * Hp + oh + kh) * Wp + ow;
                const float* wk = wb + ((ci * KH + kh) * KW) * LUCID_BLOCK_CHANNELS;
                for (ptrdiff_t kw = 0; kw < KW; kw++) {
                    lucid_v16 x[2];
                    for (int v = 0; v < nv; v++)         /* 16 input values at a time */
                        x[v] = *(const lucid_v16u*)(row + kw + 16 * v);
                    for (int c = 0; c < LUCID_BLOCK_CHANNELS; c++)
                        for (int v = 0; v < nv; v++)     /* weight times 16 values */
                            acc[c][v] += wk[kw * LUCID_BLOCK_CHANNELS + c] * x[v];
                }
            }
        for (int c = 0; c < LUCID_BLOCK_CHANNELS; c++) {
            if (valid == 16 * nv) {
                for (int v = 0; v < nv; v++)
                    *(lucid_v16u*)(y + c * y_plane + 16 * v) = acc[c][v];
            } else {
                float out[32];
                memcpy(out, acc[c], sizeof out);
                memcpy(y + c * y_plane, out, valid * sizeof(float));
            }
        }
    }

    /* y (C_out, Ho, Wo) = the convolution of the padded sample xp (C_in, Hp, Wp) with
       the repacked weight wr (C_out / 8, C_in, KH, KW, 8); C_out a multiple of 8, Hp =
       Ho + KH - 1 and Wp >= Wo rounded up to 16, + KW - 1 (the last block's reads). */
    static inline __attribute__((always_inline)) void lucid_blocked_rows(
            const float* xp, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp, ptrdiff_t KH,
            ptrdiff_t KW, const float* wr, ptrdiff_t C_out, float* y, ptrdiff_t Ho,
            ptrdiff_t Wo) {
        for (ptrdiff_t cb = 0; cb < C_out / LUCID_BLOCK_CHANNELS; cb++) {
            const float* wb = wr + cb * C_in * KH * KW * LUCID_BLOCK_CHANNELS;
            for (ptrdiff_t oh = 0; oh < Ho; oh++) {
                float* yr = y + (cb * LUCID_BLOCK_CHANNELS * Ho + oh) * Wo;
                ptrdiff_t ow = 0;
                for (; ow + 16 < Wo; ow += 32)          /* two vectors a row block */
                    lucid_block(2, xp, C_in, Hp, Wp, KH, KW, wb, yr + ow, Ho * Wo, oh, ow,
                                Wo - ow < 32 ? Wo - ow : 32);
                for (; ow < Wo; ow += 16)               /* the last 16 or fewer */
                    lucid_block(1, xp, C_in, Hp, Wp, KH, KW, wb, yr + ow, Ho * Wo, oh, ow,
                                Wo - ow < 16 ? Wo - ow : 16);
            }
        }
    }

    /* The 3x3 kernel, the common one, gets its own copy of the loops with the sizes
       written in, so the compiler unrolls the taps (1.2-1.35x faster than the loops
       that read KH and KW at run time). */
    LUCID_BLOCKED_CLONES
    static void lucid_blocked_conv_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                     ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                     const float* wr, ptrdiff_t C_out, float* y,
                                     ptrdiff_t Ho, ptrdiff_t Wo) {
        if (KH == 3 && KW == 3)
            lucid_blocked_rows(xp, C_in, Hp, Wp, 3, 3, wr, C_out, y, Ho, Wo);
        else
            lucid_blocked_rows(xp, C_in, Hp, Wp, KH, KW, wr, C_out, y, Ho, Wo);
    }
    #else
    /* Other compilers: the same sums as plain loops (lucid_blocked_wide() is 0, so the
       path is not taken; this keeps the module building). */
    static void lucid_blocked_conv_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                     ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                     const float* wr, ptrdiff_t C_out, float* y,
                                     ptrdiff_t Ho, ptrdiff_t Wo) {
        for (ptrdiff_t co = 0; co < C_out; co++)
            for (ptrdiff_t oh = 0; oh < Ho; oh++)
                for (ptrdiff_t ow = 0; ow < Wo; ow++) {
                    float s = 0;
                    ptrdiff_t cb = co / LUCID_BLOCK_CHANNELS, c = co % LUCID_BLOCK_CHANNELS;
                    for (ptrdiff_t ci = 0; ci < C_in; ci++)
                        for (ptrdiff_t kh = 0; kh < KH; kh++)
                            for (ptrdiff_t kw = 0; kw < KW; kw++)
                                s += wr[((((cb * C_in + ci) * KH + kh) * KW + kw)
                                         * LUCID_BLOCK_CHANNELS) + c]
                                     * xp[(ci * Hp + oh + kh) * Wp + ow + kw];
                    y[(co * Ho + oh) * Wo + ow] = s;
                }
    }
    #endif
    """
    int LUCID_BLOCK_CHANNELS
    int lucid_blocked_wide() noexcept nogil
    void lucid_blocked_conv_f(const float* xp, Py_ssize_t C_in, Py_ssize_t Hp, Py_ssize_t Wp,
                              Py_ssize_t KH, Py_ssize_t KW, const float* wr, Py_ssize_t C_out,
                              float* y, Py_ssize_t Ho, Py_ssize_t Wo) noexcept nogil
