# %% [markdown]
# # 1. Autograd from scratch
#
# Every operation in lucid is a `Function` with two hand-written halves: `forward`
# computes the result from NumPy arrays, `backward` turns the gradient of the loss with
# respect to the result into the gradient with respect to the inputs (the chain rule,
# one link). `Tensor.backward()` walks the recorded graph backwards and calls each
# link. In this walkthrough you write a new operation, use it inside a bigger
# expression, and check its backward with `lucid.autograd.gradcheck`.
#
# Run it with `python tutorials/01_autograd_from_scratch.py [FIGURE_FOLDER]`.

# %%
import numpy as np

import lucid
from lucid.autograd import Function, gradcheck
from _tutorial import plt, save_figure

# %% [markdown]
# ## Gradients of built-in operations
#
# A tensor created with `requires_grad=True` is a *leaf*: operations on it are recorded.
# For $L = \sum_i x_i^2$ the gradient is $\partial L / \partial x_i = 2 x_i$.

# %%
x = lucid.Tensor([1.0, -2.0, 3.0], requires_grad=True)
L = (x * x).sum()
L.backward()
print("L =", L.item())
print("dL/dx =", x.grad)

# %% [markdown]
# ## A new operation: softplus
#
# $$\operatorname{softplus}(x) = \log(1 + e^{x}), \qquad
#   \frac{d}{dx}\operatorname{softplus}(x) = \frac{e^{x}}{1 + e^{x}} = \sigma(x).$$
#
# `forward` gets the input *array* and returns the output array; it keeps on `ctx`
# what `backward` will need. `backward` gets `grad` $= \partial L/\partial y$ (the shape
# of $y$) and returns $\partial L/\partial x = \partial L/\partial y \cdot \sigma(x)$.
# `np.logaddexp(0, x)` computes $\log(e^0 + e^x)$ without overflowing for large $x$.

# %%
class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x                               # backward needs sigma(x)
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, grad):
        sigma = 1.0 / (1.0 + np.exp(-ctx.x))
        return grad * sigma


def softplus(x):
    return Softplus.apply(x)


x = lucid.Tensor([-2.0, 0.0, 2.0], requires_grad=True)
y = softplus(x)
print("softplus(x) =", y)
y.sum().backward()
print("autograd:   ", x.grad)
print("sigma(x):   ", 1 / (1 + np.exp(-x.data)))

# %% [markdown]
# ## It composes with everything else
#
# The engine does not care who wrote an operation. Here softplus sits between a matrix
# product and a mean, and the gradient flows through all three.

# %%
lucid.random.seed(0)
W = lucid.random.randn(3, 4, requires_grad=True)
v = lucid.random.randn(4)
loss = softplus(W @ v).mean()
loss.backward()
print("loss =", round(loss.item(), 6))
print("dloss/dW has shape", W.grad.shape)

# %% [markdown]
# ## Checking a backward: `gradcheck`
#
# A hand-written backward can be wrong in ways that still *run*. `gradcheck` compares
# it with central differences $\frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}$,
# input entry by input entry, in float64 (float32 would drown the difference in rounding).

# %%
x64 = lucid.Tensor(np.linspace(-3, 3, 7), requires_grad=True)
print("softplus backward correct:", gradcheck(softplus, [x64]))
print("inside W @ v, then mean:  ",
      gradcheck(lambda W: softplus(W @ v.astype(np.float64)).mean(), [W]))

# %% [markdown]
# And a *wrong* backward is caught. A classic slip: using $e^{x}$ instead of $\sigma(x)$.

# %%
class BrokenSoftplus(Softplus):
    @staticmethod
    def backward(ctx, grad):
        return grad * np.exp(ctx.x)             # wrong: forgot to divide by 1 + e^x


ok = gradcheck(BrokenSoftplus.apply, [x64], raise_exception=False)
print("broken backward passes gradcheck:", ok)
assert not ok

# %% [markdown]
# ## The picture
#
# Softplus is a smooth ReLU; its derivative, computed by *our* backward through
# `Tensor.backward()`, is the logistic sigmoid.

# %%
grid = lucid.Tensor(np.linspace(-5, 5, 201), requires_grad=True)
softplus(grid).sum().backward()                 # d(sum)/dx_i = softplus'(x_i)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid.data, softplus(grid).data, label="softplus(x)")
ax.plot(grid.data, np.maximum(grid.data, 0), "--", color="grey", label="relu(x)")
ax.plot(grid.data, grid.grad, label="d softplus / dx (our backward)")
ax.set_xlabel("x")
ax.legend()
ax.grid(alpha=0.3)
save_figure(fig, "01_softplus.png")

# %% [markdown]
# **Exercise.** Write `Function`s for $\tanh$ (backward $1 - \tanh^2$, saved from the
# forward) and for $x \cdot y$ with two inputs (`backward` returns a tuple of two
# gradients), and check both with `gradcheck`.
