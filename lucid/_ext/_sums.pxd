# Inline helpers shared by the compiled twins (a .pxd: cimported, compiled into each).

ctypedef fused floating_t:
    float
    double


# A sum runs in SUM_LANES independent chains held in a small local array: lane[k] sums
# a[k], a[k + SUM_LANES], ... and the lanes are added at the end (lanes_total). One chain
# waits for each addition to finish before the next (the compiler may not reorder a
# floating-point sum), and was the bottleneck of the loops that sum (batch norm's
# statistics, the softmax's normaliser). The lanes do not depend on each other, so gcc
# turns each `for k in range(SUM_LANES)` into a few vector instructions: eight doubles
# are four SSE2 registers. A loop that fills two sets of lanes at once was not
# vectorised (batch norm's backward): give each sum its own loop.
cdef enum:
    SUM_LANES = 8


cdef inline double lanes_total(const double* lane) noexcept nogil:
    """The SUM_LANES partial sums, added in pairs."""
    return (((lane[0] + lane[1]) + (lane[2] + lane[3]))
            + ((lane[4] + lane[5]) + (lane[6] + lane[7])))


# The sum of a[0:n] in double precision, in lanes.
cdef inline double sum_lanes(const floating_t* a, Py_ssize_t n) noexcept nogil:
    cdef double lane[SUM_LANES]
    cdef Py_ssize_t i = 0, k
    for k in range(SUM_LANES):
        lane[k] = 0
    while i + SUM_LANES <= n:
        for k in range(SUM_LANES):
            lane[k] += a[i + k]
        i += SUM_LANES
    while i < n:
        lane[0] += a[i]
        i += 1
    return lanes_total(lane)


# The largest of a[0:n] (n >= 1), in MAX_LANES running maxima (lane k sees a[k],
# a[k + MAX_LANES], ...), so that a comparison does not wait for the one before: one
# chain through a 32-value row made the softmax's first version 4x slower than NumPy.
# A comparison with NaN is false, so a NaN value is passed over (unless it is a[0]): the
# softmax and cross-entropy rows, the callers (float64 rows; float32 rows have _exp.pxd's
# C loop), still come out all NaN, from the NaN that exp(a - max) gives at that value
# and spreads through the sum.
cdef enum:
    MAX_LANES = 16


cdef inline floating_t row_max(const floating_t* a, Py_ssize_t n) noexcept nogil:
    cdef floating_t lane[MAX_LANES]
    cdef floating_t m, v
    cdef Py_ssize_t i = 0, k
    for k in range(MAX_LANES):
        lane[k] = a[0]
    while i + MAX_LANES <= n:
        for k in range(MAX_LANES):
            v = a[i + k]
            lane[k] = v if v > lane[k] else lane[k]
        i += MAX_LANES
    while i < n:
        v = a[i]
        lane[0] = v if v > lane[0] else lane[0]
        i += 1
    m = lane[0]
    for k in range(1, MAX_LANES):
        m = lane[k] if lane[k] > m else m
    return m
