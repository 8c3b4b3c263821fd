r"""The LSTM's and the GRU's time loops, compiled twin of :mod:`lucid._ext.rnn`: each
LSTM step's product and cell in one pass, on lucid's OpenMP threads.

The loop nests (``b`` rows in step ``t``, ``H`` hidden units, gates ``[i, f, g, o]``)::

    lstm_forward, float32 on AVX-512:
        Wp = W_hh^T packed: panel p = units 8p .. 8p+7, columns [i 8 | f 8 | g 8 | o 8]
        in one parallel region, thread m owning the panels P_m:
            for each step t (in run order):
                for each panel p in P_m:
                    for each block of 12 (or 8, 4, 2, 1) rows i0:
                        S = h_prev[t][i0 : i0 + 12] @ Wp[p]      # 12 x 32, in registers
                        for r, u in rows of the block x units of the panel:
                            a = gates[t][r, u + k H] + S[r, u + 8 k]     (k = 0 .. 3)
                            i, f, g, o = sigma, sigma, tanh, sigma of a
                            c_prev[t][r, u] = c[r, u]
                            c[r, u] = f c[r, u] + i g;  h[r, u] = o tanh c[r, u]
                h_prev[t + 1][:, units of P_m] = h[:, units of P_m]
                barrier                                    # h_prev[t + 1] complete

    lstm_backward, float32 on AVX-512:
        Wq = W_hh packed: panel q = columns 32q .. 32q+31 of W_hh (4H rows)
        in one parallel region, thread m owning the panels Q_m (units 32q .. 32q+31):
            for each step t (in the opposite order):
                for r, u in rows x units of Q_m:
                    dh_t = dh[r, u] + dy[t][r, u];  dc[r, u] += dh_t o (1 - tanh^2 c_t)
                    delta[t][r, u + k H] = ... (k = 0 .. 3);  dc[r, u] *= f
                barrier                                    # delta[t] complete
                for each panel q in Q_m:
                    dh[:b, 32q : 32q + 32] = delta[t] @ Wq[q]    # blocks of 12 rows

    otherwise (float64, other processors): per step one product by NumPy's BLAS
    (``h_prev[t] @ W_hh.T``, ``delta[t] @ W_hh``) and the same cell loops, typed.

    gru_forward / gru_backward (every dtype): per step one product by the ``matmul``
    kernel (``h_prev[t] @ W_hh^T``, ``d_hh[t] @ W_hh``: its panels path shares it among
    the threads) and one typed, vectorised loop over the step's cells; the loop over
    the steps is Python's (a simpler design than the LSTM's, not yet its panels).

Why: a step of ``benchmarks/lstm_lm.py``'s LSTM is a ``(20, 200) @ (200, 800)`` product
and some ten passes over ``(20, 800)`` values, 35 steps a layer, forwards and
backwards. As NumPy calls (the reference twin) a step took 123 us forwards and 134
backwards, 80 of them in the product on one BLAS thread. Here each thread keeps its own
units' weights (packed once per call, a panel of 8 units is ``H x 32`` floats) and
finishes their cells while the block of the product is still in registers: the gates
never make a round trip through memory. The threads meet once a step (a barrier, not
a parallel loop started and joined per step): forwards because every unit's next
product reads all of ``h_t``; backwards because the product ``delta[t] @ W_hh`` reads
all of ``delta[t]``. The backward's next step needs no second meeting: a thread owns
the same units in the cells (the columns of ``dh`` they read) and in the product (the
columns of ``dh`` it writes).

The sigmoid and tanh of the float32 cells are written out with ``_exp.pxd``'s
vectorisable exponential, so the compiler runs the unit loop in vector instructions:
:math:`\sigma(x) = 1 / (1 + e^{-x})`, and :math:`\tanh x` as Cephes' ``tanhf``, an odd
polynomial below :math:`|x| = 0.625` and :math:`1 - 2 / (e^{2|x|} + 1)` (signed) above.
float64 calls the C library's ``exp`` and ``tanh``.

**The same bits on any number of threads**: every value is computed by the same
instructions whichever thread owns its panel. The twins agree to rounding, not bit for
bit (their sigmoid, tanh and products round differently).
"""
import numpy as np

from cython.parallel cimport parallel
from libc.math cimport exp, tanh
from libc.string cimport memcpy

from lucid._ext._exp cimport exp_row
from lucid._ext._panels cimport LUCID_PANEL, LUCID_PANEL_K, lucid_avx512, lucid_panels_f

from lucid._ext import _blas, _checks, _matmul
from lucid._ext._openmp import threads_for

__all__ = ["lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]

ctypedef fused real:
    float
    double

# [loops: lstm_forward]
cdef extern from *:
    """
    #include <math.h>
    #include <stddef.h>
    #include <string.h>

    /* sigma(x) = 1 / (1 + e^-x): e^-x overflows to inf for x below -88.7, giving 0. */
    static inline float lucid_sigmoidf(float x) { return 1.0f / (1.0f + lucid_expf(-x)); }

    /* tanh x, Cephes' tanhf: x + x^3 P(x^2) for |x| < 0.625, else 1 - 2 / (e^{2|x|} + 1)
       with x's sign (e^{2|x|} overflowing to inf gives 1). Both are computed and one is
       kept, so the loop has no branch and vectorises. */
    static inline float lucid_tanhf(float x) {
        float ax = fabsf(x), s = x * x;
        float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s
                         - 5.37397155531e-2f) * s + 1.33314422036e-1f) * s
                       - 3.33332819422e-1f) * s * x + x;
        float big = 1.0f - 2.0f / (lucid_expf(2.0f * ax) + 1.0f);
        big = x < 0 ? -big : big;
        return ax < 0.625f ? small : big;
    }

    static inline double lucid_sigmoidd(double x) { return 1.0 / (1.0 + exp(-x)); }

    /* The team of the enclosing parallel region: its size, this thread's number, and a
       barrier all of its threads must reach (one thread without OpenMP). */
    #ifdef _OPENMP
    #include <omp.h>
    static inline int lucid_team_size(void) { return omp_get_num_threads(); }
    static inline int lucid_team_member(void) { return omp_get_thread_num(); }
    static inline void lucid_team_barrier(void) { _Pragma("omp barrier") }
    #else
    static inline int lucid_team_size(void) { return 1; }
    static inline int lucid_team_member(void) { return 0; }
    static inline void lucid_team_barrier(void) {}
    #endif

    /* The forward cells of ``rows`` rows and the units [u0, u0 + nu), in place:
       a = gates + S (S: the product h_{t-1} W_hh^T, gate k of unit u at
       S[r * s_row + k * s_gate + u - u0]); gates <- i, f, g, o; c_prev <- c;
       c <- f c + i g; tanh_c <- tanh c; y, h <- o tanh c. The arrays point at the
       rows' first row; row strides 4H (gates) and H (the rest). */
    #define LUCID_LSTM_CELLS(NAME, T, SIGMOID, TANH)                                     \\
    static inline void NAME(T* gates, const T* S, ptrdiff_t s_row, ptrdiff_t s_gate,       \\
                            ptrdiff_t rows, ptrdiff_t u0, ptrdiff_t nu, ptrdiff_t H,       \\
                            T* c, T* c_prev, T* tanh_c, T* y, T* h) {                      \\
        for (ptrdiff_t r = 0; r < rows; r++) {                                             \\
            T* a = gates + r * 4 * H + u0;                                                 \\
            const T* s = S + r * s_row;                                                    \\
            ptrdiff_t at = r * H + u0;                                                     \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t u = 0; u < nu; u++) {                                           \\
                T i = SIGMOID(a[u] + s[u]);                                                \\
                T f = SIGMOID(a[H + u] + s[s_gate + u]);                                   \\
                T g = TANH(a[2 * H + u] + s[2 * s_gate + u]);                              \\
                T o = SIGMOID(a[3 * H + u] + s[3 * s_gate + u]);                           \\
                T cp = c[at + u];                                                          \\
                T ct = f * cp + i * g;                                                     \\
                T tc = TANH(ct);                                                           \\
                a[u] = i; a[H + u] = f; a[2 * H + u] = g; a[3 * H + u] = o;                \\
                c_prev[at + u] = cp;                                                       \\
                c[at + u] = ct;                                                            \\
                tanh_c[at + u] = tc;                                                       \\
                y[at + u] = o * tc;                                                        \\
                h[at + u] = o * tc;                                                        \\
            }                                                                              \\
        }                                                                                  \\
    }
    LUCID_LSTM_CELLS(lucid_lstm_cells_f, float, lucid_sigmoidf, lucid_tanhf)
    LUCID_LSTM_CELLS(lucid_lstm_cells_d, double, lucid_sigmoidd, tanh)

    /* Panel p of the forward weights (H x 32) from W_hh (4H x H):
       Wp[k][8 gate + u] = W_hh[gate H + 8p + u][k], 0 past the last unit. */
    static void lucid_lstm_pack_forward(const float* W, ptrdiff_t H, ptrdiff_t p, float* Wp) {
        for (int gate = 0; gate < 4; gate++)
            for (int u = 0; u < 8; u++) {
                ptrdiff_t unit = 8 * p + u;
                float* out = Wp + 8 * gate + u;
                const float* row = W + (gate * H + unit) * H;
                for (ptrdiff_t k = 0; k < H; k++)
                    out[k * 32] = unit < H ? row[k] : 0.0f;
            }
    }

    #if defined(__GNUC__)
    /* The rows [0, b) of one forward panel (units 8p .. 8p + 7): the product of each
       block of rows in registers (_panels.pxd's lucid_panel_block over the panel's
       packed H x 32 weights, in blocks of LUCID_PANEL_K values of k), then its cells. */
    LUCID_SIMD_CLONES
    static void lucid_lstm_panel_f(const float* A, const float* Wp, ptrdiff_t b,
                                   ptrdiff_t H, ptrdiff_t p, float* gates, float* c,
                                   float* c_prev, float* tanh_c, float* y, float* h) {
        float S[12 * LUCID_PANEL];
        ptrdiff_t u0 = 8 * p, nu = H - u0 < 8 ? H - u0 : 8, i = 0;
        #define LUCID_LSTM_ROWS(R)                                                         \\
            for (; i + R <= b; i += R) {                                                   \\
                for (ptrdiff_t k0 = 0; k0 < H; k0 += LUCID_PANEL_K) {                      \\
                    ptrdiff_t kk = H - k0 < LUCID_PANEL_K ? H - k0 : LUCID_PANEL_K;        \\
                    lucid_panel_block(R, A + i * H + k0, H, 1, Wp + k0 * LUCID_PANEL, kk,  \\
                                      S, LUCID_PANEL, LUCID_PANEL, k0 == 0);               \\
                }                                                                          \\
                lucid_lstm_cells_f(gates + i * 4 * H, S, LUCID_PANEL, 8, R, u0, nu, H,     \\
                                   c + i * H, c_prev + i * H, tanh_c + i * H, y + i * H,   \\
                                   h + i * H);                                             \\
            }
        LUCID_LSTM_ROWS(12)
        LUCID_LSTM_ROWS(8)
        LUCID_LSTM_ROWS(4)
        LUCID_LSTM_ROWS(2)
        LUCID_LSTM_ROWS(1)
        #undef LUCID_LSTM_ROWS
    }

    #else
    /* Other compilers: never called (lucid_avx512() is 0 there). */
    static void lucid_lstm_panel_f(const float* A, const float* Wp, ptrdiff_t b,
                                   ptrdiff_t H, ptrdiff_t p, float* gates, float* c,
                                   float* c_prev, float* tanh_c, float* y, float* h) {}
    #endif
    """
    void lucid_lstm_cells_f(float* gates, const float* S, Py_ssize_t s_row,
                            Py_ssize_t s_gate, Py_ssize_t rows, Py_ssize_t u0,
                            Py_ssize_t nu, Py_ssize_t H, float* c, float* c_prev,
                            float* tanh_c, float* y, float* h) noexcept nogil
    void lucid_lstm_cells_d(double* gates, const double* S, Py_ssize_t s_row,
                            Py_ssize_t s_gate, Py_ssize_t rows, Py_ssize_t u0,
                            Py_ssize_t nu, Py_ssize_t H, double* c, double* c_prev,
                            double* tanh_c, double* y, double* h) noexcept nogil
    int lucid_team_size() noexcept nogil
    int lucid_team_member() noexcept nogil
    void lucid_team_barrier() noexcept nogil
    void lucid_lstm_pack_forward(const float* W, Py_ssize_t H, Py_ssize_t p,
                                 float* Wp) noexcept nogil
    void lucid_lstm_panel_f(const float* A, const float* Wp, Py_ssize_t b, Py_ssize_t H,
                            Py_ssize_t p, float* gates, float* c, float* c_prev,
                            float* tanh_c, float* y, float* h) noexcept nogil


cdef inline Py_ssize_t _share(Py_ssize_t parts, int next_) noexcept nogil:
    """Inside a parallel region: the first of the calling thread's run of ``parts``
    (``next_`` 0), or the first after it (``next_`` 1). The team's threads take
    consecutive runs, as even as they can be. (Called as ``p0 = _share(parts, 0)``: a
    variable assigned in the region is the thread's own.)"""
    return (lucid_team_member() + next_) * parts // lucid_team_size()


cdef inline void _cells(real* gates, const real* S, Py_ssize_t s_row, Py_ssize_t s_gate,
                        Py_ssize_t rows, Py_ssize_t H, real* c, real* c_prev, real* tanh_c,
                        real* y, real* h) noexcept nogil:
    if real is float:
        lucid_lstm_cells_f(gates, S, s_row, s_gate, rows, 0, H, H, c, c_prev, tanh_c, y, h)
    else:
        lucid_lstm_cells_d(gates, S, s_row, s_gate, rows, 0, H, H, c, c_prev, tanh_c, y, h)


def _forward_panels(float[:, ::1] gates, const float[:, ::1] w_hh, float[:, :, ::1] Wp,
                    const Py_ssize_t[::1] starts, const Py_ssize_t[::1] sizes,
                    float[:, ::1] h, float[:, ::1] c, float[:, ::1] y, float[:, ::1] h_prev,
                    float[:, ::1] c_prev, float[:, ::1] tanh_c, int threads):
    """The float32 AVX-512 forward loop (module docstring); ``Wp`` room for the packed
    weights, ``(ceil(H / 8), H, 32)``: each thread packs its own panels."""
    cdef Py_ssize_t H = h.shape[1], T = starts.shape[0], panels = Wp.shape[0]
    cdef Py_ssize_t t, p, s, b, r, p0, p1, u0, u1
    assert Wp.shape[1] == H and Wp.shape[2] == LUCID_PANEL and panels * 8 >= H, \
        "lstm_forward: packed weights of the wrong shape"
    assert w_hh.shape[0] == 4 * H and w_hh.shape[1] == H, "lstm_forward: w_hh's shape"
    assert gates.shape[1] == 4 * H and y.shape[1] == H and c.shape[1] == H, \
        "lstm_forward: arrays of the wrong width"
    assert sizes.shape[0] == T and threads >= 1, "lstm_forward: steps and threads"
    for t in range(T):
        assert 0 <= sizes[t] <= h.shape[0] and 0 <= starts[t] and \
            starts[t] + sizes[t] <= gates.shape[0], "lstm_forward: a step's rows"
    if T == 0:
        return
    t = p = s = b = r = p0 = p1 = u0 = u1 = 0      # (each thread's own copies start here)
    with nogil:
        memcpy(&h_prev[starts[0], 0], &h[0, 0], sizes[0] * H * sizeof(float))
        # one parallel region for all the steps: thread ``me`` owns the panels [p0, p1)
        # (its units' gates, cells and states) in every step, and copies its units of
        # h_t into the next step's h_prev; one barrier a step (the next step's
        # products read all of h_prev)
        with parallel(num_threads=threads):
            p0, p1 = _share(panels, 0), _share(panels, 1)
            u0, u1 = 8 * p0, min(8 * p1, H)
            for p in range(p0, p1):
                lucid_lstm_pack_forward(&w_hh[0, 0], H, p, &Wp[p, 0, 0])
            for t in range(T):
                s, b = starts[t], sizes[t]
                for p in range(p0, p1):
                    lucid_lstm_panel_f(&h_prev[s, 0], &Wp[p, 0, 0], b, H, p, &gates[s, 0],
                                       &c[0, 0], &c_prev[s, 0], &tanh_c[s, 0], &y[s, 0],
                                       &h[0, 0])
                if t + 1 < T and u1 > u0:
                    for r in range(sizes[t + 1]):
                        memcpy(&h_prev[starts[t + 1] + r, u0], &h[r, u0],
                               (u1 - u0) * sizeof(float))
                lucid_team_barrier()


def _cell_rows(real[:, ::1] gates, const real[:, ::1] S, real[:, ::1] c,
               real[:, ::1] c_prev, real[:, ::1] tanh_c, real[:, ::1] y, real[:, ::1] h):
    """The forward cells of one step's rows (the other paths; ``S`` the product)."""
    cdef Py_ssize_t b = gates.shape[0], H = c.shape[1]
    assert S.shape[0] >= b and S.shape[1] == 4 * H and gates.shape[1] == 4 * H, \
        "lstm_forward: the product must match the gates"
    assert c.shape[0] >= b and h.shape[0] >= b and min(c_prev.shape[0], tanh_c.shape[0],
                                                       y.shape[0]) >= b, \
        "lstm_forward: every state must have the step's rows"
    if b == 0 or H == 0:
        return
    with nogil:
        _cells(&gates[0, 0], &S[0, 0], 4 * H, H, b, H, &c[0, 0], &c_prev[0, 0],
               &tanh_c[0, 0], &y[0, 0], &h[0, 0])
# [end loops: lstm_forward]


# [loops: lstm_backward]
cdef extern from *:
    """
    /* The backward cells of ``rows`` rows and the units [u0, u0 + nu): dh_t = dh + dy;
       dc += dh_t o (1 - tanh^2 c); delta <- the gradients of the pre-activations;
       dc <- dc f. Row strides 4H (gates, delta) and H (the rest). */
    #define LUCID_LSTM_BACK_CELLS(NAME, T)                                                 \\
    static inline void NAME(const T* gates, const T* tanh_c, const T* c_prev, const T* dy, \\
                            ptrdiff_t rows, ptrdiff_t u0, ptrdiff_t nu, ptrdiff_t H,       \\
                            const T* dh, T* dc, T* delta) {                                \\
        for (ptrdiff_t r = 0; r < rows; r++) {                                             \\
            const T* a = gates + r * 4 * H;                                                \\
            T* d = delta + r * 4 * H;                                                      \\
            ptrdiff_t at = r * H;                                                          \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t u = u0; u < u0 + nu; u++) {                                     \\
                T i = a[u], f = a[H + u], g = a[2 * H + u], o = a[3 * H + u];              \\
                T tc = tanh_c[at + u];                                                     \\
                T dh_t = dh[at + u] + dy[at + u];                                          \\
                T dc_t = dc[at + u] + dh_t * o * (1 - tc * tc);                            \\
                d[u] = dc_t * g * (i * (1 - i));                                           \\
                d[H + u] = dc_t * c_prev[at + u] * (f * (1 - f));                          \\
                d[2 * H + u] = dc_t * i * (1 - g * g);                                     \\
                d[3 * H + u] = dh_t * tc * (o * (1 - o));                                  \\
                dc[at + u] = dc_t * f;                                                     \\
            }                                                                              \\
        }                                                                                  \\
    }
    LUCID_LSTM_BACK_CELLS(lucid_lstm_back_cells_f, float)
    LUCID_LSTM_BACK_CELLS(lucid_lstm_back_cells_d, double)

    /* Panel q of the backward weights (4H x 32) from W_hh (4H x H):
       Wq[k][j] = W_hh[k][32q + j], 0 past the last column. */
    static void lucid_lstm_pack_backward(const float* W, ptrdiff_t H, ptrdiff_t q, float* Wq) {
        ptrdiff_t j0 = 32 * q;
        int cols = H - j0 < 32 ? (int)(H - j0) : 32;
        for (ptrdiff_t k = 0; k < 4 * H; k++) {
            memcpy(Wq + k * 32, W + k * H + j0, cols * sizeof(float));
            for (int j = cols; j < 32; j++) Wq[k * 32 + j] = 0.0f;
        }
    }

    #if defined(__GNUC__)
    /* dh[0:b, 32q : 32q + 32] = delta[0:b] @ W_hh[:, 32q : 32q + 32], from the panel's
       packed 4H x 32 weights Wq. */
    LUCID_SIMD_CLONES
    static void lucid_lstm_back_panel_f(const float* delta, const float* Wq, ptrdiff_t b,
                                        ptrdiff_t H, ptrdiff_t q, float* dh) {
        ptrdiff_t K = 4 * H, j0 = q * LUCID_PANEL, i = 0;
        int cols = H - j0 < LUCID_PANEL ? (int)(H - j0) : LUCID_PANEL;
        #define LUCID_LSTM_ROWS(R)                                                         \\
            for (; i + R <= b; i += R)                                                     \\
                for (ptrdiff_t k0 = 0; k0 < K; k0 += LUCID_PANEL_K) {                      \\
                    ptrdiff_t kk = K - k0 < LUCID_PANEL_K ? K - k0 : LUCID_PANEL_K;        \\
                    lucid_panel_block(R, delta + i * K + k0, K, 1, Wq + k0 * LUCID_PANEL,  \\
                                      kk, dh + i * H + j0, H, cols, k0 == 0);              \\
                }
        LUCID_LSTM_ROWS(12)
        LUCID_LSTM_ROWS(8)
        LUCID_LSTM_ROWS(4)
        LUCID_LSTM_ROWS(2)
        LUCID_LSTM_ROWS(1)
        #undef LUCID_LSTM_ROWS
    }
    #else
    /* Other compilers: never called (lucid_avx512() is 0 there). */
    static void lucid_lstm_back_panel_f(const float* delta, const float* Wq, ptrdiff_t b,
                                        ptrdiff_t H, ptrdiff_t q, float* dh) {}
    #endif
    """
    void lucid_lstm_back_cells_f(const float* gates, const float* tanh_c,
                                 const float* c_prev, const float* dy, Py_ssize_t rows,
                                 Py_ssize_t u0, Py_ssize_t nu, Py_ssize_t H,
                                 const float* dh, float* dc, float* delta) noexcept nogil
    void lucid_lstm_back_cells_d(const double* gates, const double* tanh_c,
                                 const double* c_prev, const double* dy, Py_ssize_t rows,
                                 Py_ssize_t u0, Py_ssize_t nu, Py_ssize_t H,
                                 const double* dh, double* dc, double* delta) noexcept nogil
    void lucid_lstm_pack_backward(const float* W, Py_ssize_t H, Py_ssize_t q,
                                  float* Wq) noexcept nogil
    void lucid_lstm_back_panel_f(const float* delta, const float* Wq, Py_ssize_t b,
                                 Py_ssize_t H, Py_ssize_t q, float* dh) noexcept nogil


cdef inline void _back_cells(const real* gates, const real* tanh_c, const real* c_prev,
                             const real* dy, Py_ssize_t rows, Py_ssize_t H, const real* dh,
                             real* dc, real* delta) noexcept nogil:
    if real is float:
        lucid_lstm_back_cells_f(gates, tanh_c, c_prev, dy, rows, 0, H, H, dh, dc, delta)
    else:
        lucid_lstm_back_cells_d(gates, tanh_c, c_prev, dy, rows, 0, H, H, dh, dc, delta)


def _backward_panels(const float[:, ::1] gates, const float[:, ::1] tanh_c,
                     const float[:, ::1] c_prev, const float[:, ::1] w_hh,
                     float[:, :, ::1] Wq,
                     const float[:, ::1] dy, const Py_ssize_t[::1] starts,
                     const Py_ssize_t[::1] sizes, float[:, ::1] dh, float[:, ::1] dc,
                     float[:, ::1] delta, int threads):
    """The float32 AVX-512 backward loop (module docstring); ``Wq`` room for the packed
    weights, ``(ceil(H / 32), 4H, 32)``: each thread packs its own panels;
    ``starts``/``sizes`` in the order the steps run here."""
    cdef Py_ssize_t H = dh.shape[1], T = starts.shape[0], panels = Wq.shape[0]
    cdef Py_ssize_t t, q, s, b, q0, q1, u0, u1
    assert Wq.shape[1] == 4 * H and Wq.shape[2] == LUCID_PANEL and panels * 32 >= H, \
        "lstm_backward: packed weights of the wrong shape"
    assert w_hh.shape[0] == 4 * H and w_hh.shape[1] == H, "lstm_backward: w_hh's shape"
    assert gates.shape[1] == 4 * H and delta.shape[1] == 4 * H and dy.shape[1] == H, \
        "lstm_backward: arrays of the wrong width"
    assert sizes.shape[0] == T and threads >= 1, "lstm_backward: steps and threads"
    for t in range(T):
        assert 0 <= sizes[t] <= dh.shape[0] and 0 <= starts[t] and \
            starts[t] + sizes[t] <= gates.shape[0], "lstm_backward: a step's rows"
    # one parallel region for all the steps: thread ``me`` owns the panels [q0, q1), the
    # units [u0, u1) of dh, dc and delta, in every step. The step's product reads all of
    # delta (a barrier after the cells); the next step's cells read only the thread's
    # own columns of dh, which it wrote itself (no barrier after the product)
    t = q = s = b = q0 = q1 = u0 = u1 = 0          # (each thread's own copies start here)
    with nogil, parallel(num_threads=threads):
        q0, q1 = _share(panels, 0), _share(panels, 1)
        u0, u1 = 32 * q0, min(32 * q1, H)
        for q in range(q0, q1):
            lucid_lstm_pack_backward(&w_hh[0, 0], H, q, &Wq[q, 0, 0])
        for t in range(T):
            s, b = starts[t], sizes[t]
            if u1 > u0:
                lucid_lstm_back_cells_f(&gates[s, 0], &tanh_c[s, 0], &c_prev[s, 0],
                                        &dy[s, 0], b, u0, u1 - u0, H, &dh[0, 0], &dc[0, 0],
                                        &delta[s, 0])
            lucid_team_barrier()
            for q in range(q0, q1):
                lucid_lstm_back_panel_f(&delta[s, 0], &Wq[q, 0, 0], b, H, q, &dh[0, 0])


def _back_cell_rows(const real[:, ::1] gates, const real[:, ::1] tanh_c,
                    const real[:, ::1] c_prev, const real[:, ::1] dy, const real[:, ::1] dh,
                    real[:, ::1] dc, real[:, ::1] delta):
    """The backward cells of one step's rows (the other paths)."""
    cdef Py_ssize_t b = gates.shape[0], H = tanh_c.shape[1]
    assert gates.shape[1] == 4 * H and delta.shape[1] == 4 * H and delta.shape[0] >= b, \
        "lstm_backward: delta must match the gates"
    assert min(tanh_c.shape[0], c_prev.shape[0], dy.shape[0], dh.shape[0],
               dc.shape[0]) >= b, "lstm_backward: every array must have the step's rows"
    if b == 0 or H == 0:
        return
    with nogil:
        _back_cells(&gates[0, 0], &tanh_c[0, 0], &c_prev[0, 0], &dy[0, 0], b, H, &dh[0, 0],
                    &dc[0, 0], &delta[0, 0])
# [end loops: lstm_backward]


_PANELS = lucid_avx512() != 0


def _run_order(batch_sizes, reverse):
    """``(starts, sizes)`` of the steps in the order the forward loop runs them."""
    sizes = np.asarray(batch_sizes, dtype=np.intp)
    starts = np.zeros_like(sizes)
    np.cumsum(sizes[:len(sizes) - 1], out=starts[1:])
    if reverse:
        return starts[::-1].copy(), sizes[::-1].copy()
    return starts, sizes


def _fast(dtype, H):
    """Whether the float32 AVX-512 loops run (they need H >= 1)."""
    return _PANELS and dtype == np.float32 and H >= 1


def lstm_forward(gates, h0, c0, w_hh, batch_sizes, reverse):
    """An LSTM layer's time loop, forwards (:func:`lucid._ext.rnn.lstm_forward`).

    The loop nest, float32 on AVX-512 (module docstring)::

        in one parallel region, thread m owning the panels P_m (8 units each):
            for each step t of b rows:
                for p in P_m, for each block of 12 rows:
                    S = h_prev[t][rows] @ Wp[p]          # in registers
                    for r, u in rows x units of p:
                        gates, c_prev, c, tanh_c, h <- the cell of a = gates + S
                h_prev[t + 1][:, units of P_m] = h[:, units of P_m];  barrier
    """
    _checks.lstm_forward(gates, h0, c0, w_hh, batch_sizes, reverse)
    rows, H = gates.shape[0], h0.shape[1]
    h, c = h0.copy(), c0.copy()
    y = np.empty((rows, H), dtype=gates.dtype)
    h_prev, c_prev, tanh_c = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    starts, sizes = _run_order(batch_sizes, reverse)
    if rows == 0:
        return y, h_prev, c_prev, tanh_c, h, c
    if _fast(gates.dtype, H):
        # room for W_hh^T with each 8 units' 4 gates side by side (the threads pack it)
        Wp = np.empty((-(-H // 8), H, LUCID_PANEL), dtype=np.float32)
        _forward_panels(gates, w_hh, Wp, starts, sizes, h, c, y, h_prev, c_prev, tanh_c,
                        threads_for(len(h0) * 4 * H * H))
        return y, h_prev, c_prev, tanh_c, h, c
    w_t = np.ascontiguousarray(w_hh.T)
    product = np.empty((len(h0), 4 * H), dtype=gates.dtype)
    with _blas.one_thread():
        for s, b in zip(starts.tolist(), sizes.tolist()):
            h_prev[s:s + b] = h[:b]
            np.matmul(h_prev[s:s + b], w_t, out=product[:b])
            _cell_rows(gates[s:s + b], product, c, c_prev[s:s + b], tanh_c[s:s + b],
                       y[s:s + b], h)
    return y, h_prev, c_prev, tanh_c, h, c


def lstm_backward(gates, tanh_c, c_prev, w_hh, dy, dh_n, dc_n, batch_sizes, reverse):
    """An LSTM layer's time loop, backwards (:func:`lucid._ext.rnn.lstm_backward`).

    The loop nest, float32 on AVX-512 (module docstring)::

        in one parallel region, thread m owning the panels Q_m (32 units each):
            for each step t of b rows, last step first:
                for r, u in rows x units of Q_m:
                    dh_t = dh[r, u] + dy[t][r, u]
                    delta[t][r, u + k H], dc[r, u] <- the cell's backward
                barrier
                for q in Q_m:
                    dh[:b, units of q] = delta[t] @ Wq[q]
    """
    _checks.lstm_backward(gates, tanh_c, c_prev, w_hh, dy, dh_n, dc_n, batch_sizes,
                          reverse)
    H = dh_n.shape[1]
    dh, dc = dh_n.copy(), dc_n.copy()
    delta = np.empty_like(gates)
    starts, sizes = _run_order(batch_sizes, reverse)
    starts, sizes = starts[::-1].copy(), sizes[::-1].copy()     # the backward's order
    if gates.shape[0] == 0:
        return delta, dh, dc
    if _fast(gates.dtype, H):
        # room for W_hh in panels of 32 of its columns (the threads pack it)
        Wq = np.empty((-(-H // LUCID_PANEL), 4 * H, LUCID_PANEL), dtype=np.float32)
        _backward_panels(gates, tanh_c, c_prev, w_hh, Wq, dy, starts, sizes, dh, dc, delta,
                         threads_for(len(dh_n) * 4 * H * H))
        return delta, dh, dc
    with _blas.one_thread():
        for s, b in zip(starts.tolist(), sizes.tolist()):
            _back_cell_rows(gates[s:s + b], tanh_c[s:s + b], c_prev[s:s + b], dy[s:s + b],
                            dh, dc, delta[s:s + b])
            np.matmul(delta[s:s + b], w_hh, out=dh[:b])
    return delta, dh, dc


# ------------------------------------------------------------------ the GRU
# [loops: gru_forward]
cdef extern from *:
    """
    /* The GRU cells of ``rows`` rows, H units: from gi (the input's pre-activations,
       row stride 3H, blocks r z n), S (the product h_{t-1} W_hh^T, row stride 3H) and
       bias (b_hh, 3H values, zeros without one): saved <- [r, z, n, g_n] (row stride
       4H); h, y <- h_t = n + z (h_{t-1} - n) (row stride H). */
    #define LUCID_GRU_CELLS(NAME, T, SIGMOID, TANH)                                        \\
    static inline void NAME(const T* gi, const T* S, const T* bias, ptrdiff_t rows,        \\
                            ptrdiff_t H, T* saved, T* h, T* y) {                           \\
        for (ptrdiff_t row = 0; row < rows; row++) {                                       \\
            const T* g = gi + row * 3 * H;                                                 \\
            const T* s = S + row * 3 * H;                                                  \\
            T* sv = saved + row * 4 * H;                                                   \\
            T* hr = h + row * H;                                                           \\
            T* yr = y + row * H;                                                           \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t u = 0; u < H; u++) {                                            \\
                T r = SIGMOID(g[u] + (s[u] + bias[u]));                                    \\
                T z = SIGMOID(g[H + u] + (s[H + u] + bias[H + u]));                        \\
                T g_n = s[2 * H + u] + bias[2 * H + u];                                    \\
                T n = TANH(g[2 * H + u] + r * g_n);                                        \\
                T h_t = n + z * (hr[u] - n);                                               \\
                sv[u] = r; sv[H + u] = z; sv[2 * H + u] = n; sv[3 * H + u] = g_n;          \\
                hr[u] = h_t;                                                               \\
                yr[u] = h_t;                                                               \\
            }                                                                              \\
        }                                                                                  \\
    }
    LUCID_GRU_CELLS(lucid_gru_cells_f, float, lucid_sigmoidf, lucid_tanhf)
    LUCID_GRU_CELLS(lucid_gru_cells_d, double, lucid_sigmoidd, tanh)
    #undef LUCID_GRU_CELLS
    """
    void lucid_gru_cells_f(const float* gi, const float* S, const float* bias,
                           Py_ssize_t rows, Py_ssize_t H, float* saved, float* h,
                           float* y) noexcept nogil
    void lucid_gru_cells_d(const double* gi, const double* S, const double* bias,
                           Py_ssize_t rows, Py_ssize_t H, double* saved, double* h,
                           double* y) noexcept nogil


def _gru_cell_rows(const real[:, ::1] gi, const real[:, ::1] S, const real[::1] bias,
                   real[:, ::1] saved, real[:, ::1] h, real[:, ::1] y):
    """The cells of one step's rows (``S`` its product)."""
    cdef Py_ssize_t b = gi.shape[0], H = h.shape[1]
    assert gi.shape[1] == 3 * H and S.shape[1] == 3 * H and bias.shape[0] == 3 * H, \
        "gru_forward: the product and the bias must match gi"
    assert S.shape[0] >= b and h.shape[0] >= b and y.shape[0] >= b and saved.shape[0] >= b \
        and saved.shape[1] == 4 * H, "gru_forward: every array must have the step's rows"
    if b == 0 or H == 0:
        return
    with nogil:
        if real is float:
            lucid_gru_cells_f(&gi[0, 0], &S[0, 0], &bias[0], b, H, &saved[0, 0], &h[0, 0],
                              &y[0, 0])
        else:
            lucid_gru_cells_d(&gi[0, 0], &S[0, 0], &bias[0], b, H, &saved[0, 0], &h[0, 0],
                              &y[0, 0])
# [end loops: gru_forward]


# [loops: gru_backward]
cdef extern from *:
    """
    /* The GRU's backward cells of ``rows`` rows, H units: dh_t = dh + dy; from saved
       [r, z, n, g_n] and h_prev: d_in <- [dr, dz, dn], d_hh <- [dr, dz, dn r] (row
       strides 3H), and dh <- dh_t z, the direct part of dL/dh_{t-1} (the caller adds
       d_hh W_hh). */
    #define LUCID_GRU_BACK_CELLS(NAME, T)                                                  \\
    static inline void NAME(const T* saved, const T* h_prev, const T* dy, ptrdiff_t rows,  \\
                            ptrdiff_t H, T* dh, T* d_in, T* d_hh) {                        \\
        for (ptrdiff_t row = 0; row < rows; row++) {                                       \\
            const T* sv = saved + row * 4 * H;                                             \\
            T* di = d_in + row * 3 * H;                                                    \\
            T* dk = d_hh + row * 3 * H;                                                    \\
            ptrdiff_t at = row * H;                                                        \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t u = 0; u < H; u++) {                                            \\
                T r = sv[u], z = sv[H + u], n = sv[2 * H + u], g_n = sv[3 * H + u];        \\
                T dh_t = dh[at + u] + dy[at + u];                                          \\
                T dn = dh_t * (1 - z) * (1 - n * n);                                       \\
                T dr = dn * g_n * (r * (1 - r));                                           \\
                T dz = dh_t * (h_prev[at + u] - n) * (z * (1 - z));                        \\
                di[u] = dr; di[H + u] = dz; di[2 * H + u] = dn;                            \\
                dk[u] = dr; dk[H + u] = dz; dk[2 * H + u] = dn * r;                        \\
                dh[at + u] = dh_t * z;                                                     \\
            }                                                                              \\
        }                                                                                  \\
    }
    LUCID_GRU_BACK_CELLS(lucid_gru_back_cells_f, float)
    LUCID_GRU_BACK_CELLS(lucid_gru_back_cells_d, double)
    #undef LUCID_GRU_BACK_CELLS
    """
    void lucid_gru_back_cells_f(const float* saved, const float* h_prev, const float* dy,
                                Py_ssize_t rows, Py_ssize_t H, float* dh, float* d_in,
                                float* d_hh) noexcept nogil
    void lucid_gru_back_cells_d(const double* saved, const double* h_prev,
                                const double* dy, Py_ssize_t rows, Py_ssize_t H,
                                double* dh, double* d_in, double* d_hh) noexcept nogil


def _gru_back_cell_rows(const real[:, ::1] saved, const real[:, ::1] h_prev,
                        const real[:, ::1] dy, real[:, ::1] dh, real[:, ::1] d_in,
                        real[:, ::1] d_hh):
    """The backward cells of one step's rows."""
    cdef Py_ssize_t b = saved.shape[0], H = dh.shape[1]
    assert saved.shape[1] == 4 * H and d_in.shape[1] == 3 * H and d_hh.shape[1] == 3 * H, \
        "gru_backward: saved, d_in and d_hh must match the state"
    assert min(h_prev.shape[0], dy.shape[0], dh.shape[0], d_in.shape[0],
               d_hh.shape[0]) >= b, "gru_backward: every array must have the step's rows"
    if b == 0 or H == 0:
        return
    with nogil:
        if real is float:
            lucid_gru_back_cells_f(&saved[0, 0], &h_prev[0, 0], &dy[0, 0], b, H, &dh[0, 0],
                                   &d_in[0, 0], &d_hh[0, 0])
        else:
            lucid_gru_back_cells_d(&saved[0, 0], &h_prev[0, 0], &dy[0, 0], b, H, &dh[0, 0],
                                   &d_in[0, 0], &d_hh[0, 0])
# [end loops: gru_backward]


# [kernel: gru_forward]
def gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse):
    """A GRU layer's time loop, forwards (:func:`lucid._ext.rnn.gru_forward`).

    The loop nest::

        for each step t of b rows (in run order):
            h_prev[t] = h[:b]
            S = h_prev[t] @ W_hh^T                # the matmul kernel, on lucid's threads
            for r, u in rows x units:             # typed, vectorised
                r_, z = sigma(gi + S + b_hh) of blocks r, z
                g_n = S_n + b_hn;  n = tanh(gi_n + r_ g_n)
                saved[t][r] = [r_, z, n, g_n];  h[r, u] = y[t][r, u] = n + z (h[r, u] - n)
    """
    _checks.gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse)
    rows, H = gi.shape[0], h0.shape[1]
    h = h0.copy()
    y = np.empty((rows, H), dtype=gi.dtype)
    h_prev = np.empty_like(y)
    saved = np.empty((rows, 4 * H), dtype=gi.dtype)
    bias = np.zeros(3 * H, dtype=gi.dtype) if b_hh is None else b_hh
    starts, sizes = _run_order(batch_sizes, reverse)
    w_t = np.ascontiguousarray(w_hh.T)            # once: the product reads it 1.4x faster
    for s, b in zip(starts.tolist(), sizes.tolist()):
        if b == 0:
            continue
        h_prev[s:s + b] = h[:b]
        _gru_cell_rows(gi[s:s + b], _matmul.matmul(h_prev[s:s + b], w_t), bias,
                       saved[s:s + b], h, y[s:s + b])
    return y, h_prev, saved, h
# [end kernel: gru_forward]


# [kernel: gru_backward]
def gru_backward(saved, h_prev, w_hh, dy, dh_n, batch_sizes, reverse):
    """A GRU layer's time loop, backwards (:func:`lucid._ext.rnn.gru_backward`).

    The loop nest::

        for each step t of b rows (the forward's order reversed):
            for r, u in rows x units:             # typed, vectorised
                dh_t = dh[r, u] + dy[t][r, u]
                d_in[t][r], d_hh[t][r] = [dr, dz, dn], [dr, dz, dn r]
                dh[r, u] = dh_t z
            dh[:b] += d_hh[t] @ W_hh              # the matmul kernel
    """
    _checks.gru_backward(saved, h_prev, w_hh, dy, dh_n, batch_sizes, reverse)
    rows, H = h_prev.shape
    dh = dh_n.copy()
    d_in = np.empty((rows, 3 * H), dtype=saved.dtype)
    d_hh = np.empty_like(d_in)
    starts, sizes = _run_order(batch_sizes, reverse)
    for s, b in zip(starts[::-1].tolist(), sizes[::-1].tolist()):
        if b == 0:
            continue
        _gru_back_cell_rows(saved[s:s + b], h_prev[s:s + b], dy[s:s + b], dh,
                            d_in[s:s + b], d_hh[s:s + b])
        dh[:b] += _matmul.matmul(d_hh[s:s + b], w_hh)
    return d_in, d_hh, dh
# [end kernel: gru_backward]
