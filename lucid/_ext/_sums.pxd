# Inline helpers shared by the compiled twins (a .pxd: cimported, compiled into each).

ctypedef fused floating_t:
    float
    double


# The sum of a[0:n] in double precision, in four independent chains (four partial sums,
# added at the end): one chain waits for each addition to finish before the next (the
# compiler may not reorder floating-point sums), and was the bottleneck of the loops that
# sum (batch norm's statistics, the softmax's normaliser).
cdef inline double sum4(const floating_t* a, Py_ssize_t n) noexcept nogil:
    cdef double t0 = 0, t1 = 0, t2 = 0, t3 = 0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        t0 += a[i]; t1 += a[i + 1]; t2 += a[i + 2]; t3 += a[i + 3]
        i += 4
    while i < n:
        t0 += a[i]
        i += 1
    return (t0 + t1) + (t2 + t3)
