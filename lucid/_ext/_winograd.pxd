# Winograd's F(2x2, 3x3) with the channels in the lanes (float32, 2-d, 3x3, stride 1, no
# dilation, one group, whole vectors of 16 input and output channels): the convolution
# path "winograd lanes" of _conv.pyx. cimported: compiled into it.
#
# The maths is the Winograd path's (_conv.pyx, "The Winograd path"): each 2x2 block of
# output (a tile) is A^T [ U * (B^T d B) ] A, d the tile's 4x4 patch of the padded
# input, U = G w G^T per channel pair, * element-wise over the 16 positions e; summed
# over the input channels, position e is one matrix product. Here every array keeps the
# channels last, so a vector of 16 floats is 16 channels of one tile and position:
#
#     xt (Hp, Wp, C_in)           the padded sample, channels last
#     V[e] (tiles, C_in)    = B^T d B of each tile                  (lucid_wl_input)
#     M[e] (tiles, C_out)   = V[e] @ U[e],  U[e] (C_in, C_out)      (lucid_wl_product)
#     yt (Ho * Wo, C_out)   = A^T M A of each tile                  (lucid_wl_output)
#
# The weight gradient (lucid_wl_grad_w_f) by the same transforms: a tile's dL/dU is
# (A g A^T) * V, g its 2x2 block of the output gradient, so, summed over the tiles,
#
#     gt (Ho * Wo, C_out)         the sample's output gradient, channels last
#     Z[e] (tiles, C_out)   = A g A^T of each tile                  (lucid_wl_grad_input)
#     dU[e] (C_in, C_out)  += V[e]^T @ Z[e]                         (lucid_wl_grad_product)
#
# and the caller turns dU into dL/dw = G^T dU G (_conv.pyx's _winograd_weight_back).
#
# Why it is fast: the product is 16 multiply-adds per tile and channel pair where a
# direct convolution does 36 (2.25x fewer), and each of its blocks is the lanes path's
# (_blocked.pxd): POS tiles x NB vectors of output channels in registers, each value of V
# read once (a broadcast) for NB multiply-adds, each vector of U for POS. The transforms
# are additions of whole vectors, 16 channels at a time, with no gathers: the Winograd
# path's transforms run along tiles instead, reading every other column of a plane, and
# were compiled without AVX-512 (28% of its time; its products, OpenBLAS's small sgemm,
# 36%). Tiles go by chunks of tile rows, so a chunk's V and M stay in the L2 cache.
#
# The sums: V and M's transforms in float32 in the order written, the product over the
# input channels in order, one fused multiply-add each: within float tolerance of the
# direct sums (Winograd's transforms add a few roundings), not bit for bit.
#
# Compiled for AVX-512 and the baseline (target_clones, _simd.pxd) on GCC, x86-64
# Linux; _conv.pyx takes the path only where lucid_avx512() says the AVX-512 copy runs
# (_BLOCKED_WIDE). Other compilers: the same sums as plain loops, to keep the module
# building.

from lucid._ext._simd cimport lucid_avx512

cdef extern from *:
    """
    #include <stddef.h>

    /* V's and M's 16 rows lie this many floats further apart than their sizes: at sizes
       a multiple of 4 KB the 16 rows a transform reads or writes would share a set of
       the cache (the Winograd path's _WINOGRAD_SKEW). */
    #define LUCID_WL_SKEW 16

    #if defined(__GNUC__)
    typedef float lucid_wl_v16 __attribute__((vector_size(64)));
    typedef float lucid_wl_v16u __attribute__((vector_size(64), aligned(4)));

    /* V[e][t, :] = (B^T d B)[e] for the tiles t of tile rows [i0, i0 + rows) (t counted
       from tile row i0), d the 4x4 patch at row 2i, column 2j of xt (Hp, Wp, C):
       B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], applied to the
       rows of d and then to its columns. V[e] starts at v + e * v_e, rows C apart. */
    static inline __attribute__((always_inline)) void lucid_wl_input(
            const float* xt, ptrdiff_t Wp, ptrdiff_t C, ptrdiff_t TW, ptrdiff_t i0,
            ptrdiff_t rows, float* v, ptrdiff_t v_e) {
        for (ptrdiff_t i = 0; i < rows; i++)
            for (ptrdiff_t j = 0; j < TW; j++)
                for (ptrdiff_t c = 0; c < C; c += 16) {
                    const float* p = xt + (2 * (i0 + i) * Wp + 2 * j) * C + c;
                    lucid_wl_v16 d[4][4], r[4][4];
                    for (int a = 0; a < 4; a++)
                        for (int b = 0; b < 4; b++)
                            d[a][b] = *(const lucid_wl_v16u*)(p + (a * Wp + b) * C);
                    for (int b = 0; b < 4; b++) {            /* B^T d: its rows */
                        r[0][b] = d[0][b] - d[2][b];
                        r[1][b] = d[1][b] + d[2][b];
                        r[2][b] = d[2][b] - d[1][b];
                        r[3][b] = d[1][b] - d[3][b];
                    }
                    float* out = v + (i * TW + j) * C + c;
                    for (int a = 0; a < 4; a++) {            /* (B^T d) B: its columns */
                        *(lucid_wl_v16u*)(out + (4 * a) * v_e) = r[a][0] - r[a][2];
                        *(lucid_wl_v16u*)(out + (4 * a + 1) * v_e) = r[a][1] + r[a][2];
                        *(lucid_wl_v16u*)(out + (4 * a + 2) * v_e) = r[a][2] - r[a][1];
                        *(lucid_wl_v16u*)(out + (4 * a + 3) * v_e) = r[a][1] - r[a][3];
                    }
                }
    }

    /* One block of the product: m[j, cb : cb + 16 * NB] = sum over ci of
       v[j, ci] * u[ci, cb : cb + 16 * NB] for POS tiles j; rows of v C_in apart, of u
       and m C_out apart (u and m from channel cb on). One function per (NB, POS), as
       _blocked.pxd's lucid_lanes_NB_POS, so the sums stay in registers. */
    #define LUCID_WL_BLOCK(NB, POS)                                                      \
    static inline __attribute__((always_inline)) void lucid_wl_##NB##_##POS(            \
            const float* v, ptrdiff_t C_in, const float* u, ptrdiff_t C_out, float* m) { \
        lucid_wl_v16 acc[POS][NB];                                                       \
        for (int j = 0; j < POS; j++)                                                    \
            for (int b = 0; b < NB; b++)                                                 \
                acc[j][b] = (lucid_wl_v16){0};                                           \
        for (ptrdiff_t ci = 0; ci < C_in; ci++) {                                        \
            lucid_wl_v16 uv[NB];                                                         \
            for (int b = 0; b < NB; b++)       /* 16 output channels at a time */        \
                uv[b] = *(const lucid_wl_v16u*)(u + ci * C_out + 16 * b);                \
            for (int j = 0; j < POS; j++) {                                              \
                float s = v[j * C_in + ci];    /* one value of V, broadcast */           \
                for (int b = 0; b < NB; b++)                                             \
                    acc[j][b] += s * uv[b];                                              \
            }                                                                            \
        }                                                                                \
        for (int j = 0; j < POS; j++)                                                    \
            for (int b = 0; b < NB; b++)                                                 \
                *(lucid_wl_v16u*)(m + j * C_out + 16 * b) = acc[j][b];                   \
    }
    #define LUCID_WL_BLOCKS(NB, MOST)                                                    \
        LUCID_WL_BLOCK(NB, MOST) LUCID_WL_BLOCK(NB, 4) LUCID_WL_BLOCK(NB, 2)             \
        LUCID_WL_BLOCK(NB, 1)                                                            \
    static inline __attribute__((always_inline)) void lucid_wl_channels_##NB(           \
            const float* v, ptrdiff_t tiles, ptrdiff_t C_in, const float* u,             \
            ptrdiff_t C_out, float* m) {                                                 \
        for (ptrdiff_t t = 0; t < tiles;) {    /* runs of MOST tiles, then 4, 2, 1 */    \
            ptrdiff_t left = tiles - t;                                                  \
            const float* vt = v + t * C_in;                                              \
            float* mt = m + t * C_out;                                                   \
            if (left >= MOST) { lucid_wl_##NB##_##MOST(vt, C_in, u, C_out, mt); t += MOST; } \
            else if (left >= 4) { lucid_wl_##NB##_4(vt, C_in, u, C_out, mt); t += 4; }   \
            else if (left >= 2) { lucid_wl_##NB##_2(vt, C_in, u, C_out, mt); t += 2; }   \
            else { lucid_wl_##NB##_1(vt, C_in, u, C_out, mt); t += 1; }                  \
        }                                                                                \
    }
    LUCID_WL_BLOCKS(4, 6) LUCID_WL_BLOCKS(2, 12) LUCID_WL_BLOCKS(1, 24)

    /* M[e] (tiles, C_out) = V[e] (tiles, C_in) @ U[e] (C_in, C_out), for each e. */
    static inline __attribute__((always_inline)) void lucid_wl_product(
            const float* v, ptrdiff_t v_e, ptrdiff_t tiles, ptrdiff_t C_in, const float* u,
            ptrdiff_t C_out, float* m, ptrdiff_t m_e) {
        for (int e = 0; e < 16; e++) {
            const float* ve = v + e * v_e;
            const float* ue = u + e * C_in * C_out;
            float* me = m + e * m_e;
            for (ptrdiff_t cb = 0; cb < C_out;) {
                ptrdiff_t left = C_out - cb;
                if (left >= 64) {
                    lucid_wl_channels_4(ve, tiles, C_in, ue + cb, C_out, me + cb); cb += 64;
                } else if (left >= 32) {
                    lucid_wl_channels_2(ve, tiles, C_in, ue + cb, C_out, me + cb); cb += 32;
                } else {
                    lucid_wl_channels_1(ve, tiles, C_in, ue + cb, C_out, me + cb); cb += 16;
                }
            }
        }
    }

    /* yt[(2i + a) * Wo + 2j + b, :] = (A^T M A)[a, b] of the tiles of tile rows [i0, i0 +
       rows), the entries inside the Ho x Wo output: A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
       applied to the rows of the tile's 4x4 M and then to its columns. */
    static inline __attribute__((always_inline)) void lucid_wl_output(
            const float* m, ptrdiff_t m_e, ptrdiff_t C, ptrdiff_t TW, ptrdiff_t i0,
            ptrdiff_t rows, ptrdiff_t Ho, ptrdiff_t Wo, float* yt) {
        for (ptrdiff_t i = 0; i < rows; i++)
            for (ptrdiff_t j = 0; j < TW; j++) {
                ptrdiff_t oh = 2 * (i0 + i), ow = 2 * j;
                int h2 = oh + 1 < Ho, w2 = ow + 1 < Wo;   /* the tile's second row, column */
                for (ptrdiff_t c = 0; c < C; c += 16) {
                    const float* p = m + (i * TW + j) * C + c;
                    lucid_wl_v16 d[4][4], r[2][4];
                    for (int e = 0; e < 16; e++)
                        d[e / 4][e % 4] = *(const lucid_wl_v16u*)(p + e * m_e);
                    for (int b = 0; b < 4; b++) {            /* A^T M: its rows */
                        r[0][b] = d[0][b] + d[1][b] + d[2][b];
                        r[1][b] = d[1][b] - d[2][b] - d[3][b];
                    }
                    for (int a = 0; a < 1 + h2; a++) {       /* (A^T M) A: its columns */
                        float* out = yt + ((oh + a) * Wo + ow) * C + c;
                        *(lucid_wl_v16u*)out = r[a][0] + r[a][1] + r[a][2];
                        if (w2)
                            *(lucid_wl_v16u*)(out + C) = r[a][1] - r[a][2] - r[a][3];
                    }
                }
            }
    }

    /* yt (Ho * Wo, C_out) = the 3x3 convolution of xt (Hp, Wp, C_in), the padded sample
       with its channels last, Hp >= 2 * ceil(Ho / 2) + 2 and Wp >= 2 * ceil(Wo / 2) + 2
       (zeros past the input), by chunks of ``chunk`` tile rows; u (16, C_in, C_out) the
       transformed weight; v and m room for one chunk's V (16 rows of chunk * TW * C_in +
       LUCID_WL_SKEW) and M (the same with C_out). C_in and C_out multiples of 16. */
    LUCID_SIMD_CLONES
    static void lucid_wl_conv_f(const float* xt, ptrdiff_t Wp, ptrdiff_t C_in,
                                const float* u, ptrdiff_t C_out, ptrdiff_t Ho,
                                ptrdiff_t Wo, ptrdiff_t chunk, float* v, float* m,
                                float* yt) {
        ptrdiff_t TH = (Ho + 1) / 2, TW = (Wo + 1) / 2;
        ptrdiff_t v_e = chunk * TW * C_in + LUCID_WL_SKEW;
        ptrdiff_t m_e = chunk * TW * C_out + LUCID_WL_SKEW;
        for (ptrdiff_t i0 = 0; i0 < TH; i0 += chunk) {
            ptrdiff_t rows = TH - i0 < chunk ? TH - i0 : chunk;
            lucid_wl_input(xt, Wp, C_in, TW, i0, rows, v, v_e);
            lucid_wl_product(v, v_e, rows * TW, C_in, u, C_out, m, m_e);
            lucid_wl_output(m, m_e, C_out, TW, i0, rows, Ho, Wo, yt);
        }
    }

    /* Z[e][t, :] = (A g A^T)[e] for the tiles t of tile rows [i0, i0 + rows), g the
       tile's 2x2 block of gt (Ho * Wo, C), zero past the output's edge:
       A = [[1, 0], [1, 1], [1, -1], [0, -1]], applied to the rows of g and then to its
       columns. Z[e] starts at z + e * z_e, rows C apart. */
    static inline __attribute__((always_inline)) void lucid_wl_grad_input(
            const float* gt, ptrdiff_t C, ptrdiff_t TW, ptrdiff_t i0, ptrdiff_t rows,
            ptrdiff_t Ho, ptrdiff_t Wo, float* z, ptrdiff_t z_e) {
        for (ptrdiff_t i = 0; i < rows; i++)
            for (ptrdiff_t j = 0; j < TW; j++) {
                ptrdiff_t oh = 2 * (i0 + i), ow = 2 * j;
                int h2 = oh + 1 < Ho, w2 = ow + 1 < Wo;   /* the tile's second row, column */
                for (ptrdiff_t c = 0; c < C; c += 16) {
                    const float* p = gt + (oh * Wo + ow) * C + c;
                    lucid_wl_v16 g[2][2] = {{(lucid_wl_v16){0}, (lucid_wl_v16){0}},
                                            {(lucid_wl_v16){0}, (lucid_wl_v16){0}}};
                    g[0][0] = *(const lucid_wl_v16u*)p;
                    if (w2) g[0][1] = *(const lucid_wl_v16u*)(p + C);
                    if (h2) g[1][0] = *(const lucid_wl_v16u*)(p + Wo * C);
                    if (h2 && w2) g[1][1] = *(const lucid_wl_v16u*)(p + (Wo + 1) * C);
                    lucid_wl_v16 r[4][2];
                    for (int b = 0; b < 2; b++) {            /* A g: rows g0, g0 + g1, */
                        r[0][b] = g[0][b];                   /* g0 - g1, -g1 */
                        r[1][b] = g[0][b] + g[1][b];
                        r[2][b] = g[0][b] - g[1][b];
                        r[3][b] = -g[1][b];
                    }
                    float* out = z + (i * TW + j) * C + c;
                    for (int a = 0; a < 4; a++) {            /* (A g) A^T: its columns */
                        *(lucid_wl_v16u*)(out + (4 * a) * z_e) = r[a][0];
                        *(lucid_wl_v16u*)(out + (4 * a + 1) * z_e) = r[a][0] + r[a][1];
                        *(lucid_wl_v16u*)(out + (4 * a + 2) * z_e) = r[a][0] - r[a][1];
                        *(lucid_wl_v16u*)(out + (4 * a + 3) * z_e) = -r[a][1];
                    }
                }
            }
    }

    /* One block of the weight gradient's product: du[r, cb : cb + 16 * NB] += sum over
       the tiles t of v[t, r] * z[t, cb : cb + 16 * NB] for ROWS input channels r; rows
       of v C_in apart, of z and du C_out apart (v from input channel ci0 on, z and du
       from channel cb on, du from row ci0 on). The sums over the tiles stay in
       registers; each tile's vectors of Z feed ROWS multiply-adds each. */
    #define LUCID_WL_GRAD_BLOCK(NB, ROWS)                                                \
    static inline __attribute__((always_inline)) void lucid_wl_grad_##NB##_##ROWS(     \
            const float* v, ptrdiff_t C_in, const float* z, ptrdiff_t C_out,             \
            ptrdiff_t tiles, float* du) {                                                \
        lucid_wl_v16 acc[ROWS][NB];                                                      \
        for (int r = 0; r < ROWS; r++)                                                   \
            for (int b = 0; b < NB; b++)                                                 \
                acc[r][b] = (lucid_wl_v16){0};                                           \
        for (ptrdiff_t t = 0; t < tiles; t++) {                                          \
            lucid_wl_v16 zv[NB];                                                         \
            for (int b = 0; b < NB; b++)       /* 16 output channels at a time */        \
                zv[b] = *(const lucid_wl_v16u*)(z + t * C_out + 16 * b);                 \
            for (int r = 0; r < ROWS; r++) {                                             \
                float s = v[t * C_in + r];     /* one value of V, broadcast */           \
                for (int b = 0; b < NB; b++)                                             \
                    acc[r][b] += s * zv[b];                                              \
            }                                                                            \
        }                                                                                \
        for (int r = 0; r < ROWS; r++)                                                   \
            for (int b = 0; b < NB; b++)                                                 \
                *(lucid_wl_v16u*)(du + r * C_out + 16 * b) += acc[r][b];                 \
    }
    #define LUCID_WL_GRAD_BLOCKS(NB, MOST)                                               \
        LUCID_WL_GRAD_BLOCK(NB, MOST) LUCID_WL_GRAD_BLOCK(NB, 4) LUCID_WL_GRAD_BLOCK(NB, 2) \
    static inline __attribute__((always_inline)) void lucid_wl_grad_channels_##NB(      \
            const float* v, ptrdiff_t tiles, ptrdiff_t C_in, const float* z,             \
            ptrdiff_t C_out, float* du) {                                                \
        /* runs of MOST input channels, then 4, then 2: C_in, a multiple of 16, is even */ \
        for (ptrdiff_t r = 0; r < C_in;) {                                               \
            const float* vr = v + r;                                                     \
            float* dr = du + r * C_out;                                                  \
            if (C_in - r >= MOST) { lucid_wl_grad_##NB##_##MOST(vr, C_in, z, C_out, tiles, dr); r += MOST; } \
            else if (C_in - r >= 4) { lucid_wl_grad_##NB##_4(vr, C_in, z, C_out, tiles, dr); r += 4; } \
            else { lucid_wl_grad_##NB##_2(vr, C_in, z, C_out, tiles, dr); r += 2; }      \
        }                                                                                \
    }
    LUCID_WL_GRAD_BLOCKS(4, 6) LUCID_WL_GRAD_BLOCKS(2, 12) LUCID_WL_GRAD_BLOCKS(1, 16)

    /* dU[e] (C_in, C_out) += V[e]^T (C_in, tiles) @ Z[e] (tiles, C_out), for each e. */
    static inline __attribute__((always_inline)) void lucid_wl_grad_product(
            const float* v, ptrdiff_t v_e, ptrdiff_t tiles, ptrdiff_t C_in, const float* z,
            ptrdiff_t z_e, ptrdiff_t C_out, float* du) {
        for (int e = 0; e < 16; e++) {
            const float* ve = v + e * v_e;
            const float* ze = z + e * z_e;
            float* de = du + e * C_in * C_out;
            for (ptrdiff_t cb = 0; cb < C_out;) {
                ptrdiff_t left = C_out - cb;
                if (left >= 64) {
                    lucid_wl_grad_channels_4(ve, tiles, C_in, ze + cb, C_out, de + cb); cb += 64;
                } else if (left >= 32) {
                    lucid_wl_grad_channels_2(ve, tiles, C_in, ze + cb, C_out, de + cb); cb += 32;
                } else {
                    lucid_wl_grad_channels_1(ve, tiles, C_in, ze + cb, C_out, de + cb); cb += 16;
                }
            }
        }
    }

    /* du (16, C_in, C_out) += dL/dU of one sample: xt (Hp, Wp, C_in) the padded sample
       channels last (as lucid_wl_conv_f's), gt (Ho * Wo, C_out) its output gradient
       channels last, by chunks of ``chunk`` tile rows; v and z room for one chunk's V
       and Z (16 rows of chunk * TW * C_in, resp. C_out, + LUCID_WL_SKEW). */
    LUCID_SIMD_CLONES
    static void lucid_wl_grad_w_f(const float* xt, ptrdiff_t Wp, ptrdiff_t C_in,
                                  const float* gt, ptrdiff_t C_out, ptrdiff_t Ho,
                                  ptrdiff_t Wo, ptrdiff_t chunk, float* v, float* z,
                                  float* du) {
        ptrdiff_t TH = (Ho + 1) / 2, TW = (Wo + 1) / 2;
        ptrdiff_t v_e = chunk * TW * C_in + LUCID_WL_SKEW;
        ptrdiff_t z_e = chunk * TW * C_out + LUCID_WL_SKEW;
        for (ptrdiff_t i0 = 0; i0 < TH; i0 += chunk) {
            ptrdiff_t rows = TH - i0 < chunk ? TH - i0 : chunk;
            lucid_wl_input(xt, Wp, C_in, TW, i0, rows, v, v_e);
            lucid_wl_grad_input(gt, C_out, TW, i0, rows, Ho, Wo, z, z_e);
            lucid_wl_grad_product(v, v_e, rows * TW, C_in, z, z_e, C_out, du);
        }
    }
    #else
    /* Other compilers: the same sums as plain loops (lucid_avx512() is 0, so the path is
       not taken; this keeps the module building). */
    static void lucid_wl_conv_f(const float* xt, ptrdiff_t Wp, ptrdiff_t C_in,
                                const float* u, ptrdiff_t C_out, ptrdiff_t Ho,
                                ptrdiff_t Wo, ptrdiff_t chunk, float* v, float* m,
                                float* yt) {
        static const float BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0},
                                       {0, 1, 0, -1}};
        static const float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
        (void)chunk; (void)m;
        for (ptrdiff_t oh = 0; oh < Ho; oh += 2)
            for (ptrdiff_t ow = 0; ow < Wo; ow += 2)
                for (ptrdiff_t co = 0; co < C_out; co++) {
                    float mt[4][4] = {{0}};
                    for (ptrdiff_t ci = 0; ci < C_in; ci++)
                        for (int e = 0; e < 16; e++) {
                            float s = 0;
                            for (int a = 0; a < 4; a++)
                                for (int b = 0; b < 4; b++)
                                    s += BT[e / 4][a] * BT[e % 4][b]
                                         * xt[((oh + a) * Wp + ow + b) * C_in + ci];
                            mt[e / 4][e % 4] += s * u[(e * C_in + ci) * C_out + co];
                        }
                    for (int a = 0; a < 2 && oh + a < Ho; a++)
                        for (int b = 0; b < 2 && ow + b < Wo; b++) {
                            float s = 0;
                            for (int p = 0; p < 4; p++)
                                for (int q = 0; q < 4; q++)
                                    s += AT[a][p] * mt[p][q] * AT[b][q];
                            yt[((oh + a) * Wo + ow + b) * C_out + co] = s;
                        }
                }
        (void)v;
    }
    static void lucid_wl_grad_w_f(const float* xt, ptrdiff_t Wp, ptrdiff_t C_in,
                                  const float* gt, ptrdiff_t C_out, ptrdiff_t Ho,
                                  ptrdiff_t Wo, ptrdiff_t chunk, float* v, float* z,
                                  float* du) {
        static const float BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0},
                                       {0, 1, 0, -1}};
        static const float A[4][2] = {{1, 0}, {1, 1}, {1, -1}, {0, -1}};
        (void)chunk; (void)v; (void)z;
        for (ptrdiff_t oh = 0; oh < Ho; oh += 2)
            for (ptrdiff_t ow = 0; ow < Wo; ow += 2)
                for (int e = 0; e < 16; e++)
                    for (ptrdiff_t ci = 0; ci < C_in; ci++) {
                        float ve = 0;
                        for (int a = 0; a < 4; a++)
                            for (int b = 0; b < 4; b++)
                                ve += BT[e / 4][a] * BT[e % 4][b]
                                      * xt[((oh + a) * Wp + ow + b) * C_in + ci];
                        for (ptrdiff_t co = 0; co < C_out; co++) {
                            float ze = 0;
                            for (int a = 0; a < 2 && oh + a < Ho; a++)
                                for (int b = 0; b < 2 && ow + b < Wo; b++)
                                    ze += A[e / 4][a] * A[e % 4][b]
                                          * gt[((oh + a) * Wo + ow + b) * C_out + co];
                            du[(e * C_in + ci) * C_out + co] += ve * ze;
                        }
                    }
    }
    #endif
    """
    int LUCID_WL_SKEW
    void lucid_wl_conv_f(const float* xt, Py_ssize_t Wp, Py_ssize_t C_in, const float* u,
                         Py_ssize_t C_out, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t chunk,
                         float* v, float* m, float* yt) noexcept nogil
    void lucid_wl_grad_w_f(const float* xt, Py_ssize_t Wp, Py_ssize_t C_in, const float* gt,
                           Py_ssize_t C_out, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t chunk,
                           float* v, float* z, float* du) noexcept nogil
