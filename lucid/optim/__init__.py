"""``lucid.optim``: optimizers that update parameters from their gradients, and
learning-rate schedulers (:mod:`lucid.optim.lr_scheduler`).

Every optimizer follows PyTorch's single-tensor (``foreach=False``) update rule, with the
same argument names and defaults; a training step reads::

    opt.zero_grad()
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""
from lucid.optim.optimizer import Optimizer
from lucid.optim.sgd import SGD
from lucid.optim.adam import Adam, AdamW, Adamax, NAdam, RAdam
from lucid.optim.rmsprop import RMSprop
from lucid.optim.rprop import Rprop
from lucid.optim.adagrad import Adagrad
from lucid.optim.adadelta import Adadelta
from lucid.optim.asgd import ASGD
from lucid.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "ASGD", "RMSprop", "Rprop", "Adam", "AdamW", "NAdam", "RAdam",
           "Adamax", "Adagrad", "Adadelta", "lr_scheduler"]
