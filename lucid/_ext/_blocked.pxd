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
# compiled for AVX-512 and for the baseline (target_clones, _simd.pxd) on GCC,
# x86-64 Linux; _conv.pyx takes the path only where lucid_blocked_wide() says the
# AVX-512 clone runs (on the baseline the 16 accumulators do not fit in the 16 SSE
# registers: it would be slower than the GEMM path). The sums run in the order written
# (ci, kh, kw), each term a fused multiply-add: the rounding differs from the GEMM
# path's, within float tolerance. Elsewhere (other compilers) a plain loop nest of the
# same sums is compiled and lucid_blocked_wide() is 0.
#
# The weight gradient (lucid_blocked_grad_w_part_f, the path "blocked" of conv_weight_grad)
# has its own loop nest, any stride, for one sample: xp as above, gt the sample's output
# gradient transposed to (Ho * Wo, C_out), part (C_in * K_H * K_W, C_out):
#
#     for each block of 16 * NB output channels cb (NB = 4, 2 or 1 vectors):
#         for each block of ROWS taps (ci, kh, kw), or ROWS rows of 3 taps (ci, kh, 0..2):
#             acc[ROWS][taps][NB] = 0                   # up to 24 vector registers
#             for oh in range(Ho):
#                 for ow in range(Wo):
#                     g = gt[oh * Wo + ow, cb : cb + 16 * NB]         # NB loads
#                     for each tap (ci, kh, kw) of the block:
#                         acc[tap] += xp[ci, oh * s_h + kh, ow * s_w + kw] * g
#             part[tap, cb : cb + 16 * NB] += acc[tap]
#
# (lucid_blocked_grad_w_part_f runs one cut of the blocks of taps: a batch of one
# shares its rows of part among the threads.)
#
# Why it is fast: the lanes of a vector are 16 output channels, so each input value
# read (one broadcast) feeds NB multiply-adds, each vector of the output gradient read
# feeds every tap of the block, and no lane is summed with another at the end. With
# one vector (16 output channels), a 3-wide kernel and stride 1, the loop runs along
# the input row instead, so that each input value read feeds its three taps
# (lucid_grad_w_slide below). The GEMM path writes im2col's columns first and then
# has OpenBLAS multiply a matrix of 16 rows (C_out) by them, slowly at these sizes; the
# Winograd path's transforms cost as much as its products here. Each sample's sums
# start from zero and are added to part, so a part sums its run of samples in order;
# the caller adds the parts. The output gradient is transposed by 16 x 16
# blocks in registers (lucid_transpose16).
#
# The lanes forward (lucid_lanes_conv_f, the path "lanes" of conv_forward) turns the
# weight gradient's arrangement on the forward, any stride, for one sample: xp as
# above, wt the weight as (C_in * K_H * K_W, C_out), yt the output as (Ho * Wo, C_out):
#
#     for each block of 16 * NB output channels cb (NB = 4, 2 or 1 vectors):
#         for each block of POS output positions (POS = 6, 12 or 24: 24 registers):
#             acc[POS][NB] = 0
#             for ci in range(C_in):
#                 for kh in range(K_H):
#                     for kw in range(K_W):
#                         w = wt[(ci, kh, kw), cb : cb + 16 * NB]         # NB loads
#                         for each position (oh, ow) of the block:
#                             acc[pos] += xp[ci, oh * s_h + kh, ow * s_w + kw] * w
#             yt[positions of the block, cb : cb + 16 * NB] = acc
#
# (lucid_lanes_part_f runs one run of the positions: a batch of one shares its
# positions among the threads.)
#
# then y (C_out, Ho * Wo) = yt transposed, by 16 x 16 blocks (lucid_lanes_store_f). It
# serves what the forward above cannot: a stride (which only moves where a position's
# window starts) and rows narrower than a vector (8x8 maps).

from lucid._ext._simd cimport lucid_avx512

cdef extern from *:
    """
    #include <stddef.h>
    #include <string.h>

    #define LUCID_BLOCK_CHANNELS 8
    /* The weight gradient's output channels per vector (a vector's 16 float lanes). */
    #define LUCID_GRAD_CHANNELS 16

    /* xp (C, Hp, Wp) = the sample x (C, H, W) zero-padded: ``top`` rows above it,
       ``left`` columns on its left, zeros in the rest (top + H <= Hp, left + W <= Wp).
       Without padding along the rows, one copy per channel; else plain loops, kept as
       loops: GCC turns a copy or zeroing loop into a call of memcpy or memset, one per
       short row, and those calls were most of the copy's time on 7x7 and 8x8 maps. */
    #if defined(__GNUC__) && !defined(__clang__)
    __attribute__((optimize("no-tree-loop-distribute-patterns")))
    #endif
    static void lucid_pad_box_f(const float* x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                                ptrdiff_t top, ptrdiff_t left, ptrdiff_t Hp, ptrdiff_t Wp,
                                float* xp) {
        if (left == 0 && Wp == W) {          /* whole rows: one copy per channel */
            for (ptrdiff_t c = 0; c < C; c++) {
                float* plane = xp + c * Hp * Wp;
                memset(plane, 0, top * Wp * sizeof(float));
                memcpy(plane + top * Wp, x + c * H * W, H * W * sizeof(float));
                memset(plane + (top + H) * Wp, 0, (Hp - top - H) * Wp * sizeof(float));
            }
            return;
        }
        for (ptrdiff_t c = 0; c < C; c++)
            for (ptrdiff_t r = 0; r < Hp; r++) {
                float* row = xp + (c * Hp + r) * Wp;
                ptrdiff_t ih = r - top;
                if (ih < 0 || ih >= H) {
                    for (ptrdiff_t j = 0; j < Wp; j++) row[j] = 0.0f;
                    continue;
                }
                const float* src = x + (c * H + ih) * W;
                for (ptrdiff_t j = 0; j < left; j++) row[j] = 0.0f;
                for (ptrdiff_t j = 0; j < W; j++) row[left + j] = src[j];
                for (ptrdiff_t j = left + W; j < Wp; j++) row[j] = 0.0f;
            }
    }

    /* AVX-512 and baseline copies, and which one runs: _simd.pxd. */
    #define LUCID_BLOCKED_CLONES LUCID_SIMD_CLONES
    static int lucid_blocked_wide(void) { return lucid_avx512(); }

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
       Ho + KH - 1 and Wp >= Wo rounded up to 16, + KW - 1 (the last block's reads).
       Only the rows u0 <= u < u1 of the (C_out / 8) * Ho rows of blocks, u = cb * Ho +
       oh (an output's sums are the same whichever run holds its row). */
    static inline __attribute__((always_inline)) void lucid_blocked_rows(
            const float* xp, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp, ptrdiff_t KH,
            ptrdiff_t KW, const float* wr, ptrdiff_t C_out, float* y, ptrdiff_t Ho,
            ptrdiff_t Wo, ptrdiff_t u0, ptrdiff_t u1) {
        (void)C_out;
        for (ptrdiff_t u = u0; u < u1; u++) {
            ptrdiff_t cb = u / Ho, oh = u % Ho;
            const float* wb = wr + cb * C_in * KH * KW * LUCID_BLOCK_CHANNELS;
            {
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
    static void lucid_blocked_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                     ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                     const float* wr, ptrdiff_t C_out, float* y,
                                     ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t u0, ptrdiff_t u1) {
        if (KH == 3 && KW == 3)
            lucid_blocked_rows(xp, C_in, Hp, Wp, 3, 3, wr, C_out, y, Ho, Wo, u0, u1);
        else
            lucid_blocked_rows(xp, C_in, Hp, Wp, KH, KW, wr, C_out, y, Ho, Wo, u0, u1);
    }

    /* The weight gradient. One block of it: ROWS rows of KWU taps each (row j's value
       for output position (oh, ow) and tap t at p0[j] + oh * row_step + ow * sw + t)
       x NB vectors of 16 output channels, summed over the sample's positions and added
       to part (row j, tap t, vector b at part[(j * KWU + t) * C_out + 16 * b]). One
       function per (NB, ROWS, KWU), so the accumulators are an array of known size the
       compiler keeps in registers. */
    #define LUCID_GRAD_W_BLOCK(NB, KWU, ROWS)                                            \
    static inline __attribute__((always_inline)) void lucid_grad_w_##NB##_##KWU##_##ROWS( \
            const float* const* p0, ptrdiff_t row_step, ptrdiff_t sw, ptrdiff_t Ho,      \
            ptrdiff_t Wo, const float* gt, ptrdiff_t C_out, float* part) {               \
        lucid_v16 acc[ROWS][KWU][NB];                                                    \
        for (int j = 0; j < ROWS; j++)                                                   \
            for (int t = 0; t < KWU; t++)                                                \
                for (int b = 0; b < NB; b++)                                             \
                    acc[j][t][b] = (lucid_v16){0};                                       \
        for (ptrdiff_t oh = 0; oh < Ho; oh++) {                                          \
            const float* p[ROWS];                                                        \
            for (int j = 0; j < ROWS; j++)                                               \
                p[j] = p0[j] + oh * row_step;                                            \
            const float* g = gt + oh * Wo * C_out;                                       \
            for (ptrdiff_t ow = 0; ow < Wo; ow++, g += C_out) {                          \
                lucid_v16 gv[NB];                                                        \
                for (int b = 0; b < NB; b++)       /* 16 output channels at a time */    \
                    gv[b] = *(const lucid_v16u*)(g + 16 * b);                            \
                ptrdiff_t i = ow * sw;                                                   \
                for (int j = 0; j < ROWS; j++)                                           \
                    for (int t = 0; t < KWU; t++) {                                      \
                        float v = p[j][i + t];     /* one input value, broadcast */      \
                        for (int b = 0; b < NB; b++)                                     \
                            acc[j][t][b] += v * gv[b];                                   \
                    }                                                                    \
            }                                                                            \
        }                                                                                \
        for (int j = 0; j < ROWS; j++)                                                   \
            for (int t = 0; t < KWU; t++)                                                \
                for (int b = 0; b < NB; b++)                                             \
                    *(lucid_v16u*)(part + (j * KWU + t) * C_out + 16 * b) += acc[j][t][b]; \
    }

    /* The same sums for one vector of output channels, rows of 3 taps and stride 1,
       going along the input row instead: input column c is tap 0 of output column c,
       tap 1 of c - 1 and tap 2 of c - 2, so one broadcast of it feeds three
       multiply-adds, with the output gradient of columns c, c - 1 and c - 2 kept in
       three registers (g0, g1, g2; zero before the row's first column and past its
       last). The blocks above read an input value per multiply-add; with one vector of
       output channels that is as many loads as multiply-adds, more than the processor
       issues (the ResNet's 16->16 weight gradient, batch 32, one thread: 1.29-1.37 ms
       by the blocks above, 1.07-1.13 ms along the row). */
    #define LUCID_GRAD_W_SLIDE(ROWS)                                                     \
    static inline __attribute__((always_inline)) void lucid_grad_w_slide_##ROWS(        \
            const float* const* p0, ptrdiff_t row_step, ptrdiff_t sw, ptrdiff_t Ho,      \
            ptrdiff_t Wo, const float* gt, ptrdiff_t C_out, float* part) {               \
        (void)sw;                                                                        \
        lucid_v16 acc[ROWS][3];                                                          \
        for (int j = 0; j < ROWS; j++)                                                   \
            for (int t = 0; t < 3; t++)                                                  \
                acc[j][t] = (lucid_v16){0};                                              \
        for (ptrdiff_t oh = 0; oh < Ho; oh++) {                                          \
            const float* p[ROWS];                                                        \
            for (int j = 0; j < ROWS; j++)                                               \
                p[j] = p0[j] + oh * row_step;                                            \
            const float* g = gt + oh * Wo * C_out;                                       \
            lucid_v16 g1 = {0}, g2 = {0};                                                \
            for (ptrdiff_t c = 0; c < Wo; c++, g += C_out) {                             \
                lucid_v16 g0 = *(const lucid_v16u*)g;                                    \
                for (int j = 0; j < ROWS; j++) {                                         \
                    float v = p[j][c];                                                   \
                    acc[j][0] += v * g0;                                                 \
                    acc[j][1] += v * g1;                                                 \
                    acc[j][2] += v * g2;                                                 \
                }                                                                        \
                g2 = g1;                                                                 \
                g1 = g0;                                                                 \
            }                                                                            \
            for (int j = 0; j < ROWS; j++) {       /* columns Wo and Wo + 1 */           \
                acc[j][1] += p[j][Wo] * g1;                                              \
                acc[j][2] += p[j][Wo] * g2;                                              \
                acc[j][2] += p[j][Wo + 1] * g1;                                          \
            }                                                                            \
        }                                                                                \
        for (int j = 0; j < ROWS; j++)                                                   \
            for (int t = 0; t < 3; t++)                                                  \
                *(lucid_v16u*)(part + (j * 3 + t) * C_out) += acc[j][t];                 \
    }

    #define LUCID_GRAD_W_BLOCKS(NB, KWU)                                                 \
        LUCID_GRAD_W_BLOCK(NB, KWU, 8) LUCID_GRAD_W_BLOCK(NB, KWU, 4)                    \
        LUCID_GRAD_W_BLOCK(NB, KWU, 2) LUCID_GRAD_W_BLOCK(NB, KWU, 1)
    LUCID_GRAD_W_BLOCKS(1, 1) LUCID_GRAD_W_BLOCKS(2, 1) LUCID_GRAD_W_BLOCKS(4, 1)
    LUCID_GRAD_W_BLOCKS(1, 3) LUCID_GRAD_W_BLOCKS(2, 3) LUCID_GRAD_W_BLOCKS(4, 3)
    LUCID_GRAD_W_SLIDE(8) LUCID_GRAD_W_SLIDE(4) LUCID_GRAD_W_SLIDE(2) LUCID_GRAD_W_SLIDE(1)

    /* Where the i-th of ``cuts`` runs of ``rows`` rows starts (``rows`` for i == cuts):
       equal runs, cut at multiples of ``most`` rows. */
    static inline ptrdiff_t lucid_rows_from(ptrdiff_t rows, ptrdiff_t i, ptrdiff_t cuts,
                                            int most) {
        return i >= cuts ? rows : rows * i / cuts / most * most;
    }

    /* Every block of one group of output channels (from channel cb), by the block
       functions NAME_8, NAME_4, NAME_2 and NAME_1: the cut-th of ``cuts`` runs of the
       ``rows`` rows of KWU taps, in blocks of at most ``most`` rows (then 4, 2 and 1
       for the rest). Each entry of part is one row's sum, whichever run holds it. */
    #define LUCID_GRAD_W_CHANNELS(NAME, KWU)                                             \
    static inline __attribute__((always_inline)) void NAME##_channels(                   \
            const float* xp, ptrdiff_t Hp, ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,     \
            ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t rows, ptrdiff_t cut, ptrdiff_t cuts,   \
            int most, const float* gt, ptrdiff_t C_out, ptrdiff_t Ho, ptrdiff_t Wo,      \
            float* part) {                                                               \
        ptrdiff_t last = lucid_rows_from(rows, cut + 1, cuts, most);                     \
        for (ptrdiff_t r = lucid_rows_from(rows, cut, cuts, most); r < last;) {          \
            ptrdiff_t left = last - r;                                                   \
            int n = left >= most ? most : left >= 4 ? 4 : left >= 2 ? 2 : 1;             \
            const float* p0[8];                                                          \
            for (int j = 0; j < n; j++) {          /* the row's first tap (ci, kh, kw) */ \
                ptrdiff_t q = (r + j) * KWU;                                             \
                p0[j] = xp + ((q / (KH * KW)) * Hp + (q / KW) % KH) * Wp + q % KW;       \
            }                                                                            \
            float* pr = part + r * KWU * C_out;                                          \
            ptrdiff_t step = sh * Wp;                                                    \
            switch (n) {                                                                 \
            case 8: NAME##_8(p0, step, sw, Ho, Wo, gt, C_out, pr); break;                \
            case 4: NAME##_4(p0, step, sw, Ho, Wo, gt, C_out, pr); break;                \
            case 2: NAME##_2(p0, step, sw, Ho, Wo, gt, C_out, pr); break;                \
            default: NAME##_1(p0, step, sw, Ho, Wo, gt, C_out, pr);                      \
            }                                                                            \
            r += n;                                                                      \
        }                                                                                \
    }
    LUCID_GRAD_W_CHANNELS(lucid_grad_w_1_1, 1) LUCID_GRAD_W_CHANNELS(lucid_grad_w_2_1, 1)
    LUCID_GRAD_W_CHANNELS(lucid_grad_w_4_1, 1) LUCID_GRAD_W_CHANNELS(lucid_grad_w_1_3, 3)
    LUCID_GRAD_W_CHANNELS(lucid_grad_w_2_3, 3) LUCID_GRAD_W_CHANNELS(lucid_grad_w_4_3, 3)
    LUCID_GRAD_W_CHANNELS(lucid_grad_w_slide, 3)

    /* The 16 x 16 block at a (rows lda apart) transposed into t (rows ldt apart), in
       registers: four rounds, each swapping the off-diagonal h x h blocks of every
       2h x 2h block (h = 8, 4, 2, 1), one two-vector shuffle per row and round. */
    typedef int lucid_v16i __attribute__((vector_size(64)));
    #define LUCID_SWAP_ROUND(h, LO, HI)                                                  \
        for (int i = 0; i < 16; i++)                                                     \
            if (!(i & h)) {                                                              \
                lucid_v16 lo = r[i], hi = r[i + h];                                      \
                r[i] = __builtin_shuffle(lo, hi, (lucid_v16i)LO);                        \
                r[i + h] = __builtin_shuffle(lo, hi, (lucid_v16i)HI);                    \
            }
    static inline __attribute__((always_inline)) void lucid_transpose16(
            const float* a, ptrdiff_t lda, float* t, ptrdiff_t ldt) {
        lucid_v16 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = *(const lucid_v16u*)(a + i * lda);
        /* round h: lane l of the new row i is lane l of row i where bit h of l is 0,
           else lane l - h of row i + h; of the new row i + h, lane l + h of row i,
           else lane l of row i + h (indices 16-31 pick from the second vector) */
        LUCID_SWAP_ROUND(8, ((lucid_v16i){0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23}),
                            ((lucid_v16i){8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}))
        LUCID_SWAP_ROUND(4, ((lucid_v16i){0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27}),
                            ((lucid_v16i){4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31}))
        LUCID_SWAP_ROUND(2, ((lucid_v16i){0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29}),
                            ((lucid_v16i){2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31}))
        LUCID_SWAP_ROUND(1, ((lucid_v16i){0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}),
                            ((lucid_v16i){1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31}))
        for (int i = 0; i < 16; i++)
            *(lucid_v16u*)(t + i * ldt) = r[i];
    }

    /* t (cols, rows) = a (rows, cols) transposed; rows a multiple of 16 (the output
       channels of the weight gradient's path), whole blocks of 16 columns in registers,
       the last columns one by one. */
    LUCID_BLOCKED_CLONES
    static void lucid_transpose_f(const float* a, ptrdiff_t rows, ptrdiff_t cols, float* t) {
        ptrdiff_t j0 = 0;
        for (; j0 + 16 <= cols; j0 += 16)
            for (ptrdiff_t i0 = 0; i0 < rows; i0 += 16)
                lucid_transpose16(a + i0 * cols + j0, cols, t + j0 * rows + i0, rows);
        for (ptrdiff_t i = 0; i < rows; i++)
            for (ptrdiff_t j = j0; j < cols; j++)
                t[j * rows + i] = a[i * cols + j];
    }

    /* part (C_in * KH * KW, C_out) += the weight gradient of one sample, transposed:
       part[(ci * KH + kh) * KW + kw, co] += sum over oh, ow of
           gt[oh * Wo + ow, co] * xp[ci, oh * sh + kh, ow * sw + kw],
       xp the zero-padded sample (C_in, Hp, Wp), gt its output gradient (Ho * Wo, C_out);
       C_out a multiple of 16; only the cut-th of ``cuts`` runs of the rows of taps
       (rows of part: each row's sums are the same whichever run holds it). A 3-wide
       kernel goes by rows of 3 taps (one pointer for three accumulators), any other
       by single taps. */
    LUCID_BLOCKED_CLONES
    static void lucid_blocked_grad_w_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                            ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                            ptrdiff_t sh, ptrdiff_t sw, const float* gt,
                                            ptrdiff_t C_out, ptrdiff_t Ho, ptrdiff_t Wo,
                                            ptrdiff_t cut, ptrdiff_t cuts, float* part) {
        int NB = C_out % 64 == 0 ? 4 : C_out % 32 == 0 ? 2 : 1;
        for (ptrdiff_t cb = 0; cb < C_out; cb += LUCID_GRAD_CHANNELS * NB) {
            const float* g = gt + cb;
            float* pc = part + cb;
            if (KW == 3) {
                ptrdiff_t rows = C_in * KH;
                if (NB == 4)
                    lucid_grad_w_4_3_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 2, g, C_out, Ho, Wo, pc);
                else if (NB == 2)
                    lucid_grad_w_2_3_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 4, g, C_out, Ho, Wo, pc);
                else if (sw == 1)
                    lucid_grad_w_slide_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 8, g, C_out, Ho, Wo, pc);
                else
                    lucid_grad_w_1_3_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 8, g, C_out, Ho, Wo, pc);
            } else {
                ptrdiff_t rows = C_in * KH * KW;
                if (NB == 4)
                    lucid_grad_w_4_1_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 4, g, C_out, Ho, Wo, pc);
                else if (NB == 2)
                    lucid_grad_w_2_1_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 8, g, C_out, Ho, Wo, pc);
                else
                    lucid_grad_w_1_1_channels(xp, Hp, Wp, KH, KW, sh, sw, rows, cut, cuts, 8, g, C_out, Ho, Wo, pc);
            }
        }
    }

    /* The lanes forward (the path "lanes" of conv_forward): one block of it, POS output
       positions x NB vectors of 16 output channels. p[j] is where position j's window
       starts in xp (tap ci = kh = kw = 0); tap (ci, kh, kw) of it lies at
       (ci * Hp + kh) * Wp + kw from there; wt holds the weight as (taps, C_out), from
       output channel cb on. Each input value read (one broadcast) feeds NB
       multiply-adds, each weight vector POS; the sums run over the taps in the order
       (ci, kh, kw), one fused multiply-add each. One function per (NB, POS), so the
       accumulators are an array of known size the compiler keeps in registers. */
    #define LUCID_LANES_BLOCK(NB, POS)                                                   \
    static inline __attribute__((always_inline)) void lucid_lanes_##NB##_##POS(         \
            const float* const* p, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp,          \
            ptrdiff_t KH, ptrdiff_t KW, const float* wt, ptrdiff_t C_out, float* yt) {  \
        lucid_v16 acc[POS][NB];                                                          \
        for (int j = 0; j < POS; j++)                                                    \
            for (int b = 0; b < NB; b++)                                                 \
                acc[j][b] = (lucid_v16){0};                                              \
        const float* w = wt;                                                             \
        for (ptrdiff_t ci = 0; ci < C_in; ci++)                                          \
            for (ptrdiff_t kh = 0; kh < KH; kh++) {                                      \
                ptrdiff_t o = (ci * Hp + kh) * Wp;                                       \
                for (ptrdiff_t kw = 0; kw < KW; kw++, w += C_out) {                      \
                    lucid_v16 wv[NB];                                                    \
                    for (int b = 0; b < NB; b++)   /* 16 output channels at a time */    \
                        wv[b] = *(const lucid_v16u*)(w + 16 * b);                        \
                    for (int j = 0; j < POS; j++) {                                      \
                        float v = p[j][o + kw];    /* one input value, broadcast */      \
                        for (int b = 0; b < NB; b++)                                     \
                            acc[j][b] += v * wv[b];                                      \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        for (int j = 0; j < POS; j++)                                                    \
            for (int b = 0; b < NB; b++)                                                 \
                *(lucid_v16u*)(yt + j * C_out + 16 * b) = acc[j][b];                     \
    }
    #define LUCID_LANES_BLOCKS(NB, MOST)                                                 \
        LUCID_LANES_BLOCK(NB, MOST) LUCID_LANES_BLOCK(NB, 4) LUCID_LANES_BLOCK(NB, 2)    \
        LUCID_LANES_BLOCK(NB, 1)
    LUCID_LANES_BLOCKS(4, 6) LUCID_LANES_BLOCKS(2, 12) LUCID_LANES_BLOCKS(1, 24)

    /* Every block of one group of output channels (NB vectors from channel cb): the
       positions from ``first`` up to ``last`` in runs of MOST (then 4, 2 and 1 for the
       rest), row by row. */
    #define LUCID_LANES_CHANNELS(NB, MOST)                                               \
    static inline __attribute__((always_inline)) void lucid_lanes_channels_##NB(        \
            const float* xp, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp, ptrdiff_t KH,   \
            ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, const float* wt, ptrdiff_t C_out,  \
            ptrdiff_t Wo, ptrdiff_t first, ptrdiff_t last, float* yt) {                  \
        for (ptrdiff_t q = first; q < last;) {                                           \
            ptrdiff_t left = last - q;                                                   \
            int n = left >= MOST ? MOST : left >= 4 ? 4 : left >= 2 ? 2 : 1;            \
            const float* p[MOST];                                                        \
            for (int j = 0; j < n; j++) {          /* position q + j = (oh, ow) */       \
                ptrdiff_t oh = (q + j) / Wo, ow = (q + j) % Wo;                          \
                p[j] = xp + oh * sh * Wp + ow * sw;                                      \
            }                                                                            \
            float* out = yt + q * C_out;                                                 \
            switch (n) {                                                                 \
            case MOST: lucid_lanes_##NB##_##MOST(p, C_in, Hp, Wp, KH, KW, wt, C_out, out); break; \
            case 4: lucid_lanes_##NB##_4(p, C_in, Hp, Wp, KH, KW, wt, C_out, out); break; \
            case 2: lucid_lanes_##NB##_2(p, C_in, Hp, Wp, KH, KW, wt, C_out, out); break; \
            default: lucid_lanes_##NB##_1(p, C_in, Hp, Wp, KH, KW, wt, C_out, out);      \
            }                                                                            \
            q += n;                                                                      \
        }                                                                                \
    }
    LUCID_LANES_CHANNELS(4, 6) LUCID_LANES_CHANNELS(2, 12) LUCID_LANES_CHANNELS(1, 24)

    /* One vector of output channels (C_out - cb = 16) along a single output row (a 1-d
       convolution seen as 2-d: Ho = KH = 1), kernel width K and stride SW written in:
       the block of 24 positions above loads a pointer and broadcasts a value for each
       multiply-add, half the machine's rate with one vector (measured 22-29 against
       52-55 GMAC/s on one core, 32 -> 16 channels, K 4, stride 2). This one reads each
       input value of the block's window once and feeds it to every tap that uses it:

           for ci in range(C_in):
               w[k] = wt[(ci, k), cb : cb + 16] for k in range(K)       # K loads
               for i in range(SW * 23 + K):          # the window's input values
                   v = xp[ci, 0, q * SW + i]         # one broadcast
                   for k in range(K) where i - k = SW * j, 0 <= j < 24:
                       acc[j] += v * w[k]

       acc[j] still gets its terms in the order (ci, k), so the sums are the general
       block's, bit for bit. With K and SW constants the compiler resolves each
       condition and unrolls both inner loops; 24 sums and K <= 5 weights fit the 32
       vector registers. */
    #define LUCID_LANES_ROW(K, SW)                                                       \
    static inline __attribute__((always_inline)) void lucid_lanes_row_##K##_##SW(       \
            const float* r, ptrdiff_t C_in, ptrdiff_t plane, const float* wt,            \
            ptrdiff_t C_out, float* yt) {                                                \
        lucid_v16 acc[24];                                                               \
        for (int j = 0; j < 24; j++)                                                     \
            acc[j] = (lucid_v16){0};                                                     \
        for (ptrdiff_t ci = 0; ci < C_in; ci++) {                                        \
            const float* x = r + ci * plane;                                             \
            const float* w = wt + ci * K * C_out;                                        \
            lucid_v16 wv[K];                                                             \
            for (int k = 0; k < K; k++)                                                  \
                wv[k] = *(const lucid_v16u*)(w + k * C_out);                             \
            _Pragma("GCC unroll 64")                                                     \
            for (int i = 0; i < SW * 23 + K; i++) {                                      \
                float v = x[i];                                                          \
                _Pragma("GCC unroll 8")                                                  \
                for (int k = 0; k < K; k++)                                              \
                    if (i - k >= 0 && (i - k) % SW == 0 && (i - k) / SW < 24)            \
                        acc[(i - k) / SW] += v * wv[k];                                  \
            }                                                                            \
        }                                                                                \
        for (int j = 0; j < 24; j++)                                                     \
            *(lucid_v16u*)(yt + j * C_out) = acc[j];                                     \
    }
    LUCID_LANES_ROW(2, 1) LUCID_LANES_ROW(3, 1) LUCID_LANES_ROW(4, 1) LUCID_LANES_ROW(5, 1)
    LUCID_LANES_ROW(2, 2) LUCID_LANES_ROW(3, 2) LUCID_LANES_ROW(4, 2) LUCID_LANES_ROW(5, 2)

    /* The output row's positions from q0 up to q1 in blocks of 24 by
       lucid_lanes_row_K_SW, when one is written for (KW, sw); the positions left (fewer
       than 24) by the general blocks. Returns the first position not done. */
    static inline __attribute__((always_inline)) ptrdiff_t lucid_lanes_row_blocks(
            const float* xp, ptrdiff_t C_in, ptrdiff_t plane, ptrdiff_t KW, ptrdiff_t sw,
            const float* wt, ptrdiff_t C_out, ptrdiff_t q0, ptrdiff_t q1, float* yt) {
        ptrdiff_t q = q0;
        #define LUCID_ROW_CASE(K, SW)                                                    \
            if (KW == K && sw == SW) {                                                   \
                for (; q + 24 <= q1; q += 24)                                            \
                    lucid_lanes_row_##K##_##SW(xp + q * SW, C_in, plane, wt, C_out,      \
                                               yt + q * C_out);                          \
                return q;                                                                \
            }
        LUCID_ROW_CASE(2, 1) LUCID_ROW_CASE(3, 1) LUCID_ROW_CASE(4, 1) LUCID_ROW_CASE(5, 1)
        LUCID_ROW_CASE(2, 2) LUCID_ROW_CASE(3, 2) LUCID_ROW_CASE(4, 2) LUCID_ROW_CASE(5, 2)
        #undef LUCID_ROW_CASE
        return q;
    }

    /* Rows q0 <= q < q1 of yt (Ho * Wo, C_out): the convolution of the padded sample
       xp (C_in, Hp, Wp) at stride (sh, sw) with the weight wt (C_in * KH * KW, C_out),
       output channels in the lanes, at those output positions; C_out a multiple of 16.
       A position's sums are the same whichever range holds it (the blocks of every
       size add its terms in one order). The 3x3 kernel gets its own copy of the loops
       with the sizes written in, as lucid_blocked_part_f. */
    static inline __attribute__((always_inline)) void lucid_lanes_all(
            const float* xp, ptrdiff_t C_in, ptrdiff_t Hp, ptrdiff_t Wp, ptrdiff_t KH,
            ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, const float* wt, ptrdiff_t C_out,
            ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t q0, ptrdiff_t q1, float* yt) {
        for (ptrdiff_t cb = 0; cb < C_out;) {
            ptrdiff_t left = C_out - cb;
            int NB = left >= 64 ? 4 : left >= 32 ? 2 : 1;
            if (NB == 4)
                lucid_lanes_channels_4(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt + cb, C_out, Wo, q0, q1, yt + cb);
            else if (NB == 2)
                lucid_lanes_channels_2(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt + cb, C_out, Wo, q0, q1, yt + cb);
            else {                    /* one output row: its blocks of 24 first, if any */
                ptrdiff_t first = Ho == 1 && KH == 1
                    ? lucid_lanes_row_blocks(xp, C_in, Hp * Wp, KW, sw, wt + cb, C_out, q0, q1, yt + cb)
                    : q0;
                lucid_lanes_channels_1(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt + cb, C_out, Wo, first, q1, yt + cb);
            }
            cb += 16 * NB;
        }
    }
    LUCID_BLOCKED_CLONES
    static void lucid_lanes_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                   ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                                   ptrdiff_t sw, const float* wt, ptrdiff_t C_out,
                                   ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t q0, ptrdiff_t q1,
                                   float* yt) {
        if (KH == 3 && KW == 3)
            lucid_lanes_all(xp, C_in, Hp, Wp, 3, 3, sh, sw, wt, C_out, Ho, Wo, q0, q1, yt);
        else
            lucid_lanes_all(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt, C_out, Ho, Wo, q0, q1, yt);
    }

    /* Columns first <= q < last of y (C_out, P) = rows first..last of yt (P, C_out)
       transposed, plus bias[c] on row c when bias is not NULL; C_out a multiple of 16:
       blocks of 16 x 16 in registers, the last positions one by one. */
    LUCID_BLOCKED_CLONES
    static void lucid_lanes_store_part_f(const float* yt, ptrdiff_t P, ptrdiff_t first,
                                         ptrdiff_t last, ptrdiff_t C_out, const float* bias,
                                         float* y) {
        ptrdiff_t q0 = first;
        for (; q0 + 16 <= last; q0 += 16)
            for (ptrdiff_t c0 = 0; c0 < C_out; c0 += 16)
                lucid_transpose16(yt + q0 * C_out + c0, C_out, y + c0 * P + q0, P);
        for (ptrdiff_t q = q0; q < last; q++)
            for (ptrdiff_t c = 0; c < C_out; c++)
                y[c * P + q] = yt[q * C_out + c];
        if (bias != NULL)
            for (ptrdiff_t c = 0; c < C_out; c++)
                for (ptrdiff_t q = first; q < last; q++)
                    y[c * P + q] += bias[c];
    }
    #else
    /* Other compilers: the same sums as plain loops (lucid_blocked_wide() is 0, so the
       path is not taken; this keeps the module building). */
    static void lucid_blocked_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                     ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                     const float* wr, ptrdiff_t C_out, float* y,
                                     ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t u0, ptrdiff_t u1) {
        for (ptrdiff_t co = 0; co < C_out; co++)
            for (ptrdiff_t oh = 0; oh < Ho; oh++)
                for (ptrdiff_t ow = 0; ow < Wo; ow++) {
                    ptrdiff_t u = co / LUCID_BLOCK_CHANNELS * Ho + oh;
                    if (u < u0 || u >= u1)
                        continue;
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
    static void lucid_blocked_grad_w_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                            ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW,
                                            ptrdiff_t sh, ptrdiff_t sw, const float* gt,
                                            ptrdiff_t C_out, ptrdiff_t Ho, ptrdiff_t Wo,
                                            ptrdiff_t cut, ptrdiff_t cuts, float* part) {
        ptrdiff_t taps = C_in * KH * KW;
        for (ptrdiff_t q = taps * cut / cuts; q < taps * (cut + 1) / cuts; q++)
            for (ptrdiff_t co = 0; co < C_out; co++) {
                const float* x0 = xp + ((q / (KH * KW)) * Hp + (q / KW) % KH) * Wp + q % KW;
                float s = 0;
                for (ptrdiff_t oh = 0; oh < Ho; oh++)
                    for (ptrdiff_t ow = 0; ow < Wo; ow++)
                        s += gt[(oh * Wo + ow) * C_out + co] * x0[oh * sh * Wp + ow * sw];
                part[q * C_out + co] += s;
            }
    }
    /* t (cols, rows) = a (rows, cols) transposed. */
    static void lucid_transpose_f(const float* a, ptrdiff_t rows, ptrdiff_t cols, float* t) {
        for (ptrdiff_t i = 0; i < rows; i++)
            for (ptrdiff_t j = 0; j < cols; j++)
                t[j * rows + i] = a[i * cols + j];
    }
    static void lucid_lanes_part_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                   ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                                   ptrdiff_t sw, const float* wt, ptrdiff_t C_out,
                                   ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t q0, ptrdiff_t q1,
                                   float* yt) {
        for (ptrdiff_t q = q0; q < q1; q++)
            for (ptrdiff_t co = 0; co < C_out; co++) {
                const float* x0 = xp + (q / Wo) * sh * Wp + (q % Wo) * sw;
                float s = 0;
                for (ptrdiff_t t = 0; t < C_in * KH * KW; t++)
                    s += wt[t * C_out + co]
                         * x0[((t / (KH * KW)) * Hp + (t / KW) % KH) * Wp + t % KW];
                yt[q * C_out + co] = s;
            }
    }
    static void lucid_lanes_store_part_f(const float* yt, ptrdiff_t P, ptrdiff_t first,
                                         ptrdiff_t last, ptrdiff_t C_out, const float* bias,
                                         float* y) {
        for (ptrdiff_t q = first; q < last; q++)
            for (ptrdiff_t c = 0; c < C_out; c++)
                y[c * P + q] = yt[q * C_out + c] + (bias != NULL ? bias[c] : 0.0f);
    }
    #endif

    /* All of yt (every output position), all of y: one run of each. */
    static void lucid_lanes_conv_f(const float* xp, ptrdiff_t C_in, ptrdiff_t Hp,
                                   ptrdiff_t Wp, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                                   ptrdiff_t sw, const float* wt, ptrdiff_t C_out,
                                   ptrdiff_t Ho, ptrdiff_t Wo, float* yt) {
        lucid_lanes_part_f(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt, C_out, Ho, Wo, 0, Ho * Wo, yt);
    }
    static void lucid_lanes_store_f(const float* yt, ptrdiff_t P, ptrdiff_t C_out,
                                    const float* bias, float* y) {
        lucid_lanes_store_part_f(yt, P, 0, P, C_out, bias, y);
    }

    """
    int LUCID_BLOCK_CHANNELS
    int LUCID_GRAD_CHANNELS
    int lucid_blocked_wide() noexcept nogil
    void lucid_blocked_part_f(const float* xp, Py_ssize_t C_in, Py_ssize_t Hp, Py_ssize_t Wp,
                              Py_ssize_t KH, Py_ssize_t KW, const float* wr, Py_ssize_t C_out,
                              float* y, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t u0,
                              Py_ssize_t u1) noexcept nogil
    void lucid_blocked_grad_w_part_f(const float* xp, Py_ssize_t C_in, Py_ssize_t Hp,
                                     Py_ssize_t Wp, Py_ssize_t KH, Py_ssize_t KW,
                                     Py_ssize_t sh, Py_ssize_t sw, const float* gt,
                                     Py_ssize_t C_out, Py_ssize_t Ho, Py_ssize_t Wo,
                                     Py_ssize_t cut, Py_ssize_t cuts, float* part) noexcept nogil
    void lucid_transpose_f(const float* a, Py_ssize_t rows, Py_ssize_t cols,
                           float* t) noexcept nogil
    void lucid_pad_box_f(const float* x, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                         Py_ssize_t top, Py_ssize_t left, Py_ssize_t Hp, Py_ssize_t Wp,
                         float* xp) noexcept nogil
    void lucid_lanes_conv_f(const float* xp, Py_ssize_t C_in, Py_ssize_t Hp, Py_ssize_t Wp,
                            Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t sh, Py_ssize_t sw,
                            const float* wt, Py_ssize_t C_out, Py_ssize_t Ho, Py_ssize_t Wo,
                            float* yt) noexcept nogil
    void lucid_lanes_store_f(const float* yt, Py_ssize_t P, Py_ssize_t C_out,
                             const float* bias, float* y) noexcept nogil
    void lucid_lanes_part_f(const float* xp, Py_ssize_t C_in, Py_ssize_t Hp, Py_ssize_t Wp,
                            Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t sh, Py_ssize_t sw,
                            const float* wt, Py_ssize_t C_out, Py_ssize_t Ho, Py_ssize_t Wo,
                            Py_ssize_t q0, Py_ssize_t q1, float* yt) noexcept nogil
    void lucid_lanes_store_part_f(const float* yt, Py_ssize_t P, Py_ssize_t first,
                                  Py_ssize_t last, Py_ssize_t C_out, const float* bias,
                                  float* y) noexcept nogil
