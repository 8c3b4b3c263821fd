"""count_flops(): textbook counts, each shared node counted once."""
import numpy as np

import lucid


def test_matmul_and_elementwise_counts():
    a = lucid.Tensor(np.ones((2, 3)))
    b = lucid.Tensor(np.ones((3, 4)))
    with lucid.count_flops():
        y = a @ b
        z = y.exp()
    assert y.flops == 2 * 2 * 3 * 4
    assert z.flops == 48 + 8


def test_shared_node_counted_once():
    x = lucid.Tensor(np.ones(5), requires_grad=True)
    with lucid.count_flops():
        y = x * 2.0            # 5
        z = y + y              # 5 more: y's own cost is counted once, not twice
        w = z * y              # 5 more
    assert y.flops == 5
    assert z.flops == 10
    assert w.flops == 15


def test_counts_under_no_grad_and_nothing_outside():
    x = lucid.Tensor(np.ones((4, 4)))
    with lucid.no_grad(), lucid.count_flops():
        y = (x @ x).sum()
    assert y.flops == 2 * 4 * 4 * 4 + 16
    assert (x @ x).flops == 0
    assert x.flops == 0


def test_convolutions_count_their_textbook_flops():
    import lucid.nn.functional as F

    x = lucid.Tensor(np.ones((2, 3, 8, 8), dtype=np.float32))
    w = lucid.Tensor(np.ones((4, 3, 3, 3), dtype=np.float32))
    with lucid.count_flops():
        y = F.conv2d(x, w, padding=1)
    assert y.flops == 2 * (3 * 3 * 3) * (2 * 4 * 8 * 8)
    wt = lucid.Tensor(np.ones((3, 5, 2, 2), dtype=np.float32))
    with lucid.count_flops():
        z = F.conv_transpose2d(x, wt, stride=2)
    assert z.flops == 2 * (5 * 2 * 2) * x.size


def test_moving_data_costs_no_flops():
    x = lucid.Tensor(np.ones((2, 3, 4)))
    with lucid.count_flops():
        y = x.reshape(6, 4).T[1:, ::2]
        z = lucid.concatenate([y, y]) + 1.0
    assert y.flops == 0
    assert z.flops == z.size          # only the addition counts
