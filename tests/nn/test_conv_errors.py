"""Every bad input to the convolution family: a ValueError or TypeError naming the
function, the argument and the values, raised before any kernel runs."""
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext


class _NoKernel:
    """Stands in for the conv twin: any kernel call fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"kernel {name} ran before the arguments were rejected")


@pytest.fixture(autouse=True)
def no_kernel(monkeypatch):
    monkeypatch.setitem(_ext._active, "conv", _NoKernel())


def T(shape, dtype=np.float32):
    return lucid.Tensor(np.zeros(shape, dtype))


X1, W1 = T((1, 2, 5)), T((4, 2, 3))          # conv1d: 2 -> 4 channels
WT1 = T((2, 4, 3))                           # conv_transpose1d: 2 -> 4 channels


def _raises(exc, fn, *words):
    with pytest.raises(exc) as info:
        fn()
    for word in words:
        assert word in str(info.value), f"{word!r} not in message: {info.value}"
    return str(info.value)


# ------------------------------------------------------------------ tensors and dtypes
@pytest.mark.parametrize("name", ["conv1d", "conv_transpose1d"])
def test_input_ndim(name):
    fn = getattr(F, name)
    w = W1 if name == "conv1d" else WT1
    _raises(ValueError, lambda: fn(T((1, 1, 2, 5)), w), name, "input_", "2-D", "3-D", "(1, 1, 2, 5)")
    _raises(ValueError, lambda: fn(T((5,)), w), name, "input_", "(5,)")


def test_input_ndim_2d_3d():
    _raises(ValueError, lambda: F.conv2d(T((2, 5)), T((4, 2, 3, 3))), "conv2d", "input_",
            "(C, H, W)", "(N, C, H, W)", "(2, 5)")
    _raises(ValueError, lambda: F.conv_transpose3d(T((2, 5, 5)), T((2, 1, 1, 1, 1))),
            "conv_transpose3d", "input_", "(N, C, D, H, W)")


def test_weight_ndim():
    _raises(ValueError, lambda: F.conv1d(X1, T((4, 2))), "conv1d", "weight", "3-D", "(4, 2)")
    _raises(ValueError, lambda: F.conv2d(T((1, 2, 5, 5)), T((4, 2, 3))), "conv2d", "weight", "4-D")
    _raises(ValueError, lambda: F.conv_transpose1d(X1, T((2, 4, 3, 3))), "conv_transpose1d",
            "weight", "(C_in, C_out // groups, kL)")
    _raises(ValueError, lambda: F.conv1d(X1, T((4, 2, 0))), "conv1d", "weight", "zero-size")


@pytest.mark.parametrize("bad", ["input_", "weight", "bias"])
def test_not_a_tensor(bad):
    args = {"input_": X1, "weight": W1, "bias": T((4,))}
    args[bad] = np.zeros(args[bad].shape, np.float32)
    _raises(TypeError, lambda: F.conv1d(**args), "conv1d", bad, "ndarray")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float16])
def test_non_float_input(dtype):
    _raises(TypeError, lambda: F.conv1d(T((1, 2, 5), dtype), W1), "conv1d", "input_",
            str(np.dtype(dtype)))
    _raises(TypeError, lambda: F.conv_transpose2d(T((1, 2, 5, 5), dtype), T((2, 1, 2, 2))),
            "conv_transpose2d", "input_", str(np.dtype(dtype)))
    _raises(TypeError, lambda: F.unfold(T((1, 2, 5, 5), dtype), 2), "unfold", "input_")


def test_mixed_float_dtypes():
    _raises(TypeError, lambda: F.conv1d(X1, T((4, 2, 3), np.float64)), "conv1d", "input_",
            "float32", "weight", "float64")
    _raises(TypeError, lambda: F.conv1d(X1, W1, T((4,), np.float64)), "conv1d", "bias", "float64")
    _raises(TypeError, lambda: F.conv_transpose1d(T((1, 2, 5), np.float64), WT1),
            "conv_transpose1d", "weight", "float32")


# ------------------------------------------------------------------ channels, groups, bias
def test_channel_mismatch():
    _raises(ValueError, lambda: F.conv1d(T((1, 3, 5)), W1), "conv1d", "input_ has 3 channels",
            "weight.shape[1] * groups = 2 * 1 = 2")
    _raises(ValueError, lambda: F.conv1d(X1, T((4, 1, 3)), groups=1), "conv1d", "2 channels")
    _raises(ValueError, lambda: F.conv_transpose1d(T((1, 3, 5)), WT1), "conv_transpose1d",
            "input_ has 3 channels", "weight.shape[0] is 2")


def test_groups():
    for groups in (0, -1):
        _raises(ValueError, lambda: F.conv1d(X1, W1, groups=groups), "conv1d", "groups", str(groups))
    _raises(ValueError, lambda: F.conv1d(T((1, 3, 5)), T((4, 1, 3)), groups=3), "conv1d",
            "groups (3)", "must divide", "(4)")
    _raises(ValueError, lambda: F.conv_transpose1d(T((1, 3, 5)), T((3, 1, 3)), groups=2),
            "conv_transpose1d", "groups (2)", "(3)")
    for groups in (1.0, True, "2"):
        _raises(TypeError, lambda: F.conv1d(X1, W1, groups=groups), "conv1d", "groups", repr(groups))


def test_bias_shape():
    _raises(ValueError, lambda: F.conv1d(X1, W1, T((3,))), "conv1d", "bias", "C_out = 4", "(3,)")
    _raises(ValueError, lambda: F.conv1d(X1, W1, T((4, 1))), "conv1d", "bias", "(4, 1)")
    _raises(ValueError, lambda: F.conv_transpose1d(X1, WT1, T((2,))), "conv_transpose1d", "bias",
            "C_out = 4")


# ------------------------------------------------------------------ int arguments
@pytest.mark.parametrize("arg,value", [("stride", 0), ("stride", -1), ("dilation", 0),
                                       ("padding", -1), ("stride", (1, 0))])
def test_out_of_range_sizes(arg, value):
    fn = F.conv2d if isinstance(value, tuple) else F.conv1d
    x, w = (T((1, 2, 5, 5)), T((4, 2, 3, 3))) if fn is F.conv2d else (X1, W1)
    _raises(ValueError, lambda: fn(x, w, **{arg: value}), fn.__name__, arg, str(value))


@pytest.mark.parametrize("value", [1.5, 2.0, True, "2", None, np.float64(1.0)])
@pytest.mark.parametrize("arg", ["stride", "padding", "dilation"])
def test_non_integer_sizes(arg, value):
    if arg == "padding" and isinstance(value, str):   # a string padding must be 'same'/'valid'
        _raises(ValueError, lambda: F.conv1d(X1, W1, padding=value), "conv1d", "padding", "'same'")
        return
    _raises(TypeError, lambda: F.conv1d(X1, W1, **{arg: value}), "conv1d", arg, repr(value))


@pytest.mark.parametrize("arg", ["stride", "padding", "output_padding", "dilation"])
def test_non_integer_sizes_transpose(arg):
    _raises(TypeError, lambda: F.conv_transpose1d(X1, WT1, **{arg: 1.5}), "conv_transpose1d", arg)


def test_tuple_length():
    _raises(ValueError, lambda: F.conv2d(T((1, 2, 5, 5)), T((4, 2, 3, 3)), stride=(1, 1, 1)),
            "conv2d", "stride", "2 ints", "(1, 1, 1)")
    _raises(ValueError, lambda: F.conv1d(X1, W1, padding=(1, 1)), "conv1d", "padding", "1 int")
    _raises(ValueError, lambda: F.conv_transpose3d(T((1, 2, 3, 3, 3)), T((2, 1, 1, 1, 1)),
                                                   output_padding=(0, 0)),
            "conv_transpose3d", "output_padding", "3 ints")
    _raises(TypeError, lambda: F.conv2d(T((1, 2, 5, 5)), T((4, 2, 3, 3)), dilation=(1, 1.5)),
            "conv2d", "dilation", "(1, 1.5)")


def test_padding_strings():
    _raises(ValueError, lambda: F.conv1d(X1, W1, padding="full"), "conv1d", "padding", "'full'")
    _raises(ValueError, lambda: F.conv1d(X1, W1, padding="SAME"), "conv1d", "'SAME'")
    _raises(ValueError, lambda: F.conv1d(X1, W1, stride=2, padding="same"), "conv1d",
            "padding='same'", "stride 1", "stride=2")
    _raises(ValueError, lambda: F.conv_transpose1d(X1, WT1, padding="same"), "conv_transpose1d",
            "padding", "'same'")


def test_output_padding():
    msg = _raises(ValueError, lambda: F.conv_transpose1d(X1, WT1, stride=2, output_padding=2),
                  "conv_transpose1d")
    assert msg == "conv_transpose1d: output_padding (2) must be smaller than stride (2) or dilation (1)"
    _raises(ValueError, lambda: F.conv_transpose1d(X1, WT1, output_padding=-1),
            "conv_transpose1d", "output_padding", "-1")
    _raises(ValueError, lambda: F.conv_transpose2d(T((1, 2, 3, 3)), T((2, 1, 2, 2)), stride=(2, 1),
                                                   output_padding=(1, 1)),
            "conv_transpose2d", "output_padding (1)", "stride (1)", "spatial axis 1")


# ------------------------------------------------------------------ sizes
def test_kernel_larger_than_padded_input():
    _raises(ValueError, lambda: F.conv1d(T((1, 2, 2)), W1), "conv1d", "kernel", "3", "padded input",
            "2 + 2 * 0 = 2")
    _raises(ValueError, lambda: F.conv1d(X1, W1, dilation=3), "conv1d", "= 7", "= 5")
    _raises(ValueError, lambda: F.conv2d(T((1, 2, 5, 1)), T((4, 2, 1, 2))), "conv2d",
            "spatial axis 1")
    _raises(ValueError, lambda: F.unfold(T((1, 1, 3, 3)), 4), "unfold", "kernel", "padded input")


def test_transpose_output_not_positive():
    _raises(ValueError, lambda: F.conv_transpose1d(T((1, 2, 1)), WT1, padding=2),
            "conv_transpose1d", "output size", "-1", "not positive")


def test_empty_spatial_or_channels():
    _raises(ValueError, lambda: F.conv1d(T((1, 2, 0)), W1, padding=2), "conv1d", "input_",
            "(1, 2, 0)")
    _raises(ValueError, lambda: F.conv_transpose1d(T((1, 2, 0)), WT1), "conv_transpose1d", "input_")


@pytest.mark.parametrize("kw", [dict(stride=2**40), dict(padding=2**40), dict(dilation=2**40)])
def test_absurd_sizes_rejected(kw):
    arg, value = next(iter(kw.items()))
    _raises(ValueError, lambda: F.conv1d(X1, W1, **kw), "conv1d", arg, str(value), "too large")
    _raises(ValueError, lambda: F.conv_transpose1d(X1, WT1, **kw), "conv_transpose1d", arg)


def test_huge_results_rejected_before_allocating():
    # each argument is in range, but the result would have ~2**40 elements
    _raises(ValueError, lambda: F.conv_transpose1d(T((1, 2, 2**12)), WT1, stride=2**30),
            "conv_transpose1d", "output", "elements")
    _raises(ValueError, lambda: F.conv1d(X1, W1, padding=2**30), "conv1d", "elements")
    _raises(ValueError, lambda: F.conv2d(T((1, 1, 1, 1)), T((1, 1, 1, 1)), padding=2**16),
            "conv2d", "elements")
    _raises(ValueError, lambda: F.unfold(T((1, 1, 4, 4)), 1, padding=2**20), "unfold", "elements")


# ------------------------------------------------------------------ unfold / fold
def test_unfold_fold_arguments():
    _raises(ValueError, lambda: F.unfold(T((1, 1, 1, 4, 4)), 2), "unfold", "input_", "(C, H, W)")
    _raises(ValueError, lambda: F.unfold(T((1, 1, 4, 4)), (2, 2, 2)), "unfold", "kernel_size",
            "2 ints")
    _raises(TypeError, lambda: F.unfold(T((1, 1, 4, 4)), 2.5), "unfold", "kernel_size", "2.5")
    _raises(ValueError, lambda: F.unfold(T((1, 1, 4, 4)), 0), "unfold", "kernel_size", "0")
    _raises(ValueError, lambda: F.fold(T((1, 8, 9, 1)), 4, 2), "fold", "input_", "(N, C * kH * kW, L)")
    _raises(ValueError, lambda: F.fold(T((1, 7, 9)), 4, 2), "fold", "(7)", "kH * kW = 2 * 2 = 4")
    _raises(ValueError, lambda: F.fold(T((1, 8, 8)), 4, 2), "fold", "8 blocks", "3 * 3 = 9")
    _raises(ValueError, lambda: F.fold(T((1, 8, 9)), 0, 2), "fold", "output_size", "0")
    _raises(TypeError, lambda: F.fold(T((1, 8, 9)), "4", 2), "fold", "output_size", "'4'")


# ------------------------------------------------------------------ layers
from lucid import nn  # noqa: E402


def test_layer_constructor_errors():
    _raises(ValueError, lambda: nn.Conv2d(3, 4, 3, groups=2), "Conv2d", "in_channels (3)",
            "groups (2)")
    _raises(ValueError, lambda: nn.ConvTranspose1d(4, 3, 3, groups=2), "ConvTranspose1d",
            "out_channels (3)")
    _raises(ValueError, lambda: nn.Conv1d(0, 4, 3), "Conv1d", "in_channels", "0")
    _raises(TypeError, lambda: nn.Conv1d(2.0, 4, 3), "Conv1d", "in_channels", "2.0")
    _raises(ValueError, lambda: nn.Conv2d(2, 4, (3, 3, 3)), "Conv2d", "kernel_size", "2 ints")
    _raises(ValueError, lambda: nn.Conv1d(2, 4, 3, stride=2, padding="same"), "Conv1d", "'same'",
            "stride=2")
    _raises(ValueError, lambda: nn.ConvTranspose1d(2, 4, 3, padding="same"), "ConvTranspose1d",
            "padding", "'same'")
    msg = _raises(ValueError, lambda: nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=2),
                  "ConvTranspose1d")
    assert msg == "ConvTranspose1d: output_padding (2) must be smaller than stride (2) or dilation (1)"
    _raises(TypeError, lambda: nn.Conv1d(2, 4, 3, bias="yes"), "Conv1d", "bias", "'yes'")
    _raises(ValueError, lambda: nn.Unfold(2, stride=0), "Unfold", "stride", "0")
    _raises(TypeError, lambda: nn.Unfold(1.5), "Unfold", "kernel_size", "1.5")


def test_layer_forward_errors():
    conv = nn.Conv2d(2, 4, 3)
    _raises(ValueError, lambda: conv(T((1, 3, 5, 5))), "conv2d", "input_ has 3 channels")
    _raises(TypeError, lambda: conv(T((1, 2, 5, 5), np.float64)), "conv2d", "float64", "float32")
    up = nn.ConvTranspose1d(2, 4, 3, stride=2)
    _raises(ValueError, lambda: up(X1, output_size=[20]), "ConvTranspose1d.forward",
            "output_size", "11 to 12", "20")
    _raises(ValueError, lambda: up(X1, output_size=[1, 11]), "ConvTranspose1d.forward",
            "output_size", "1 spatial size")
    _raises(TypeError, lambda: up(X1, output_size=11), "ConvTranspose1d.forward", "output_size")
    _raises(TypeError, lambda: up(X1, output_size=[11.0]), "ConvTranspose1d.forward",
            "output_size", "11.0")
    _raises(ValueError, lambda: up(T((1, 3, 5)), output_size=[11]), "ConvTranspose1d.forward",
            "input_ has 3 channels")


# ------------------------------------------------------------------ calls seen before
def _counting_checks(monkeypatch):
    """Clear the kept calls; count the runs of the checks (their first step)."""
    from lucid.nn.functional import _conv_args as A
    A.conv_args.seen.clear()
    A.conv_transpose_args.seen.clear()
    runs = []
    real = A._check_tensor

    def counted(fname, arg, t):
        if arg == "input_":
            runs.append(1)
        return real(fname, arg, t)

    monkeypatch.setattr(A, "_check_tensor", counted)
    return A, runs


def test_a_call_seen_before_is_not_checked_again(monkeypatch):
    """``conv_args`` keeps the checked arguments of a call by what the checks read
    (``lucid._checks.remembered``): the same shapes, dtypes, classes and arguments
    again return them unchecked; anything else is checked anew."""
    A, runs = _counting_checks(monkeypatch)
    first = A.conv_args("conv1d", 1, T((1, 2, 6)), T((4, 2, 3)), None, 1, 1, 1, 1)
    again = A.conv_args("conv1d", 1, T((1, 2, 6)), T((4, 2, 3)), None, 1, 1, 1, 1)
    assert again is first and len(runs) == 1
    for call in [((1, 2, 7), (4, 2, 3), None, 1),              # another length
                 ((1, 2, 6), (4, 2, 3), T((4,)), 1),          # a bias
                 ((1, 2, 6), (4, 2, 3), None, (1,)),          # a tuple for stride
                 ((1, 2, 6), (4, 2, 3), None, np.int64(1))]:  # no key: every time
        x, w, b, stride = call
        A.conv_args("conv1d", 1, T(x), T(w), b, stride, 1, 1, 1)
    assert len(runs) == 5
    A.conv_args("conv1d", 1, T((1, 2, 6)), T((4, 2, 3)), None, np.int64(1), 1, 1, 1)
    assert len(runs) == 6
    A.conv_args("conv1d", 1, T((1, 2, 6)), lucid.nn.Parameter(np.zeros((4, 2, 3),
                np.float32)), None, 1, 1, 1, 1)                # another class of weight
    assert len(runs) == 7


@pytest.mark.parametrize("change, exc, words", [
    (dict(stride=True), TypeError, ["stride"]),                # True == 1, not an int
    (dict(stride=1.0), TypeError, ["stride"]),                 # 1.0 == 1
    (dict(padding=(True,)), TypeError, ["padding"]),
    (dict(x=T((1, 2, 1))), ValueError, ["kernel"]),           # too short for the kernel
    (dict(x=T((1, 2, 6), np.float64)), TypeError, ["dtype"]),
    (dict(bias=T((3,))), ValueError, ["bias"]),
])
def test_a_bad_call_after_a_good_one_still_fails(change, exc, words):
    """A call differing from a checked one in what the checks read is checked, and a
    failing call is never kept: it fails every time."""
    from lucid.nn.functional import _conv_args as A
    call = dict(x=T((1, 2, 6)), w=T((4, 2, 3)), bias=None, stride=1, padding=0)
    A.conv_args("conv1d", 1, call["x"], call["w"], None, 1, 0, 1, 1)    # good, kept
    call.update(change)
    for _ in range(2):
        _raises(exc, lambda: F.conv1d(call["x"], call["w"], call["bias"],
                                      stride=call["stride"], padding=call["padding"]),
                "conv1d", *words)


def test_conv_transpose_calls_seen_before(monkeypatch):
    """The transposed family keeps its checked calls the same way: again unchecked, and
    an output_padding too large after a good call still fails."""
    A, runs = _counting_checks(monkeypatch)
    first = A.conv_transpose_args("conv_transpose1d", 1, T((1, 2, 5)), WT1, None, 2, 0, 1,
                                  1, 1)
    again = A.conv_transpose_args("conv_transpose1d", 1, T((1, 2, 5)), WT1, None, 2, 0, 1,
                                  1, 1)
    assert again is first and len(runs) == 1
    for _ in range(2):
        _raises(ValueError, lambda: F.conv_transpose1d(T((1, 2, 5)), WT1, stride=2,
                                                       output_padding=2),
                "conv_transpose1d", "output_padding")
