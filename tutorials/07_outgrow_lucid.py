# %% [markdown]
# # 7. When you outgrow lucid: safetensors, PyTorch and ONNX
#
# lucid is built to be read. A project that needs a GPU, several machines or a phone
# needs an engine built for that, and the model you trained should move there, not be
# written again. This walkthrough trains the homework CNN (the one `python -m
# lucid.demo` trains) and takes it down three roads:
#
# 1. its **weights** as a *safetensors* file, the format of PyTorch projects and of the
#    Hugging Face hub;
# 2. the **model** as a `torch.nn.Module` (`lucid.interop.to_torch`), ready for
#    `.to("cuda")` and `torch.distributed`;
# 3. the model as an **ONNX** file (`lucid.onnx.export`) that ONNX Runtime runs without
#    Python or lucid.
#
# On every road the numbers must stay the same, so each one ends by comparing its
# logits with lucid's. The roads need optional packages (`torch`, `safetensors`,
# `onnx` and `onnxruntime`: `pip install torch safetensors "lucid[onnx]"`); a road whose
# package is missing is skipped, and the output says why.
#
# Run it with `python tutorials/07_outgrow_lucid.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` trains for one epoch only).

# %%
import importlib
import json
import os
import shutil
import tempfile

import numpy as np

import lucid
from lucid.demo import DigitsCNN
from lucid.train import evaluate, train_epoch
from _tutorial import FAST, plt, save_figure

EPOCHS = 1 if FAST else 5


def optional(name):
    """The module ``name``, or None (and say so) when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        print(f"[{name} is not installed: the parts that need it are skipped]")
        return None


torch = optional("torch")
safetensors_torch = optional("safetensors.torch") if torch is not None else None
onnx = optional("onnx")
onnxruntime = optional("onnxruntime")
folder = tempfile.mkdtemp(prefix="lucid-tutorial-07-")   # the files of this walkthrough
differences = {}                                          # road -> max |logits - lucid's|

# %% [markdown]
# ## Train in lucid
#
# A short training run of the homework CNN on the digits that ship with lucid, then
# evaluation mode (dropout off, batch norm on its running statistics: here the model
# has neither, but a deployed model is always in evaluation mode). `images` is a batch
# of 64 test images and `logits` lucid's answer for it: every road must reproduce it.

# %%
lucid.random.seed(0)
train_loader = lucid.data.DataLoader(lucid.datasets.Digits(train=True), batch_size=32,
                                     shuffle=True)
test_set = lucid.datasets.Digits(train=False)
model = DigitsCNN()
optimizer = lucid.optim.Adam(model.parameters(), lr=0.005)
for epoch in range(EPOCHS):
    train_epoch(model, train_loader, lucid.nn.CrossEntropyLoss(), optimizer, progress=False)
model.eval()
print(f"test accuracy: {evaluate(model, lucid.data.DataLoader(test_set, batch_size=256)):.3f}")
images, labels = next(iter(lucid.data.DataLoader(test_set, batch_size=64)))
logits = model(images).data
print("images", images.shape, "-> logits", logits.shape)

# %% [markdown]
# ## Road 1: the weights as a safetensors file
#
# `lucid.save` writes lucid's own format by default; a file name ending in
# `.safetensors` writes safetensors instead. The format is simple enough to read by
# hand: 8 bytes giving the length of a JSON header, the header (each tensor's dtype,
# shape and byte range), then the raw numbers.

# %%
weights_path = os.path.join(folder, "digits_cnn.safetensors")
lucid.save(model.state_dict(), weights_path)
with open(weights_path, "rb") as f:
    header_length = int.from_bytes(f.read(8), "little")
    header = json.loads(f.read(header_length))
for name, entry in header.items():
    print(f"{name:<22} {entry['dtype']}  shape {entry['shape']!s:<16} bytes {entry['data_offsets']}")

# %% [markdown]
# The names are the model's `state_dict()` names, which are PyTorch's: `features.0.weight`
# is the weight of the first layer of `features`. Loading the file back into a fresh
# lucid model gives the same logits, exactly:

# %%
fresh = DigitsCNN()
fresh.load_state_dict(lucid.load(weights_path))
differences["lucid -> safetensors -> lucid"] = float(np.abs(fresh.eval()(images).data - logits).max())
print("max difference:", differences["lucid -> safetensors -> lucid"])

# %% [markdown]
# PyTorch reads the same file with `safetensors.torch.load_file`. A PyTorch model
# written with the same attribute names loads it as it is: here is the homework CNN
# written in `torch.nn`, line for line.

# %%
if safetensors_torch is None:
    print("[skipped: PyTorch and safetensors are needed to load the file in PyTorch]")
else:
    class TorchDigitsCNN(torch.nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(1, 16, kernel_size=3, padding=1), torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
                torch.nn.Conv2d(16, 32, kernel_size=3, padding=1), torch.nn.ReLU(),
                torch.nn.MaxPool2d(2))
            self.classifier = torch.nn.Linear(32 * 2 * 2, num_classes)

        def forward(self, x):
            h = self.features(x)
            return self.classifier(h.reshape(h.shape[0], -1))

    net = TorchDigitsCNN()
    print(net.load_state_dict(safetensors_torch.load_file(weights_path)))
    with torch.no_grad():
        torch_logits = net.eval()(torch.from_numpy(images.data)).numpy()
    differences["safetensors -> PyTorch"] = float(np.abs(torch_logits - logits).max())
    print("max difference:", differences["safetensors -> PyTorch"])

# %% [markdown]
# ## Road 2: the model as a `torch.nn.Module`
#
# `lucid.interop.to_torch` does that translation for you: standard layers become their
# `torch.nn` counterparts one to one, containers stay containers, and a lucid model
# class such as `DigitsCNN` becomes a PyTorch *twin* whose `forward` is the same
# computation in torch operations. Weights and buffers are copied, and every module
# keeps its train / eval mode.
#
# Equal outputs are half of the promise; training needs equal *gradients* too. One
# cross-entropy loss on the batch, backward in both frameworks, and the gradient of the
# first convolution's weights compared:

# %%
if torch is None:
    print("[skipped: PyTorch is needed for lucid.interop]")
else:
    twin = lucid.interop.to_torch(model)
    print(twin)
    twin_logits = twin(torch.from_numpy(images.data))
    differences["lucid.interop.to_torch"] = float(np.abs(twin_logits.detach().numpy() - logits).max())
    print("max difference:", differences["lucid.interop.to_torch"])

    model.zero_grad()                                  # (training left the last batch's)
    loss = lucid.nn.CrossEntropyLoss()(model(images), labels)
    loss.backward()
    torch_loss = torch.nn.functional.cross_entropy(twin_logits, torch.from_numpy(labels.data))
    torch_loss.backward()
    grad_gap = np.abs(twin.features[0].weight.grad.numpy() - model.features[0].weight.grad).max()
    print(f"loss {loss.item():.6f} (lucid) {torch_loss.item():.6f} (PyTorch); "
          f"max gradient difference {grad_gap:.2e}")
    assert grad_gap < 1e-5

# %% [markdown]
# From here the model is PyTorch's: `twin.to("cuda")` trains it on a GPU, and
# `torch.nn.parallel.DistributedDataParallel(twin)` across machines. When it comes back,
# `lucid.interop.from_torch(twin)` returns a lucid `DigitsCNN` again.

# %%
if torch is not None:
    back = lucid.interop.from_torch(twin)
    print(type(back), "max difference:", np.abs(back(images).data - logits).max())

# %% [markdown]
# ## Road 3: ONNX, for deployment
#
# ONNX is a file format for the *computation*: a graph of standard operations with the
# weights inside. `lucid.onnx.export` runs the model once on an example input, records
# every operation, and writes them. `dynamic_axes` marks the batch axis as free, so the
# file accepts any number of images, although the example has only one.

# %%
if onnx is None or onnxruntime is None:
    print('[skipped: onnx and onnxruntime are needed (pip install "lucid[onnx]")]')
else:
    onnx_path = os.path.join(folder, "digits_cnn.onnx")
    lucid.onnx.export(model, images[:1], onnx_path, input_names=["images"],
                      output_names=["logits"], dynamic_axes={"images": {0: "batch"}})
    graph = onnx.load(onnx_path).graph
    print("nodes:", [node.op_type for node in graph.node])
    print("weights:", [w.name for w in graph.initializer if "." in w.name])
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(["logits"], {"images": images.data})      # 64 images
    differences["lucid.onnx.export"] = float(np.abs(onnx_logits - logits).max())
    print("max difference:", differences["lucid.onnx.export"])

# %% [markdown]
# ## Do the roads agree?
#
# Each road's largest difference from lucid's logits. Float32 arithmetic done in
# another order differs in the last bits (about $10^{-7}$ of the values); anything
# near the size of the logits themselves would be a bug.

# %%
scale = float(np.abs(logits).max())
for road, gap in differences.items():
    print(f"{road:<32} {gap:.2e}  ({gap / scale:.1e} of the largest logit)")
assert all(gap <= 1e-5 * scale for gap in differences.values())
print("the paths agree with lucid")

fig, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * len(differences)))
roads = list(differences)
ax.barh(roads, [max(differences[r], 1e-12) for r in roads], color="tab:blue")
for i, road in enumerate(roads):
    gap = differences[road]
    ax.text(max(gap, 1e-12) * 2, i, "0 (exact)" if gap == 0 else f"{gap:.1e}", va="center")
ax.set_xscale("log")
ax.set_xlim(1e-12, scale)
ax.axvline(1e-5 * scale, color="tab:red", linestyle="--", label="1e-5 of the largest logit")
ax.set_xlabel("max |logits - lucid's logits|")
ax.legend(loc="lower right")
save_figure(fig, "07_paths_agree.png")
shutil.rmtree(folder)
