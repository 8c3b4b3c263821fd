"""Check a backward pass against central finite differences, in float64.

For ``y = fn(x_1, ..., x_k)`` the analytic Jacobian row ``d y_j / d x`` comes from one
``backward()`` per output element, seeded with the unit vector ``e_j``; the numeric
column ``d y / d x_i`` from

.. math:: \\frac{\\partial y}{\\partial x_i} \\approx
          \\frac{f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)}{2 \\varepsilon}

The two Jacobians must agree element by element within ``atol + rtol * |numeric|``.
"""
import numpy as np

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree."""


def _prepare(inputs):
    from lucid._tensor import Tensor

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    prepared = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if x.dtype.kind != "f":
                prepared.append(x)
                continue
            t = Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
            prepared.append(t)
        else:
            prepared.append(x)
    return prepared


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare ``fn``'s backward with central differences, in float64.

    Parameters
    ----------
    fn : callable
        Takes the inputs (in order) and returns a Tensor.
    inputs : Tensor or sequence
        Arguments of ``fn``. Floating tensors are copied to float64; those with
        ``requires_grad=True`` are checked. Other arguments are passed as they are.
    eps : float
        Finite-difference step.
    atol, rtol : float
        Allowed difference ``|analytic - numeric| <= atol + rtol * |numeric|``.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` on a mismatch (else return False).

    Returns
    -------
    bool
        True when every gradient matches.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    >>> lucid.autograd.gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    from lucid._tensor import Tensor
    from lucid.autograd.grad_mode import enable_grad, no_grad

    args = _prepare(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass tensors with requires_grad=True")

    with enable_grad():
        out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; got {type(out).__name__}")
    out_size = out.data.size

    # analytic Jacobians: one backward per output element
    analytic = {i: np.zeros((out_size, args[i].data.size)) for i in checked}
    for j in range(out_size):
        for i in checked:
            args[i].grad = None
        with enable_grad():
            out = fn(*args)
        if not out.requires_grad:
            break  # output does not depend on the inputs: analytic Jacobian is zero
        seed = np.zeros(out_size)
        seed[j] = 1.0
        out.backward(seed.reshape(out.shape).astype(out.dtype))
        for i in checked:
            g = args[i].grad
            if g is not None:
                analytic[i][j] = g.ravel()

    # numeric Jacobians: central differences
    for i in checked:
        x = args[i].data
        flat = x.reshape(-1)
        numeric = np.zeros((out_size, x.size))
        for k in range(x.size):
            orig = flat[k]
            flat[k] = orig + eps
            with no_grad():
                plus = np.array(fn(*args).data, dtype=np.float64).ravel()  # a copy: fn may return a view of x
            flat[k] = orig - eps
            with no_grad():
                minus = np.array(fn(*args).data, dtype=np.float64).ravel()
            flat[k] = orig
            numeric[:, k] = (plus - minus) / (2 * eps)
        diff = np.abs(analytic[i] - numeric)
        bad = diff > atol + rtol * np.abs(numeric)
        if bad.any():
            j, k = np.argwhere(bad)[0]
            msg = (
                f"gradcheck: the gradient of input {i} (shape {x.shape}) does not match "
                f"finite differences at {int(bad.sum())} of {bad.size} Jacobian entries; "
                f"first at output {j}, input element {k}: analytic {float(analytic[i][j, k])!r}, "
                f"numeric {float(numeric[j, k])!r}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    for i in checked:
        args[i].grad = None
    return True
