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
