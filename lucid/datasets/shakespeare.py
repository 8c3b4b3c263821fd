r"""``TinyShakespeare``: a character-level language-modelling text shipped with lucid.

The file ``lucid/datasets/data/tiny_shakespeare.txt`` holds the first 31,742
characters (the opening of *Coriolanus*, Act I, up to a speech's end) of the
"tiny-shakespeare" corpus that character-level language models are traditionally
trained on; ``data/README`` says where it comes from and why it is in the public
domain. 58 distinct characters, ASCII only, no network needed.
"""
import os

import numpy as np

from lucid._checks import check_bool, check_int, check_number
from lucid._tensor import Tensor
from lucid.data.dataset import Dataset, _check_index

__all__ = ["TinyShakespeare"]

TEXT_FILE = os.path.join(os.path.dirname(__file__), "data", "tiny_shakespeare.txt")


def load_text(path=TEXT_FILE):
    """The shipped text as one ``str`` (UTF-8, ``\\n`` line ends)."""
    with open(path, encoding="utf-8") as f:
        return f.read()


class TinyShakespeare(Dataset):
    r"""Windows of a Shakespeare text for next-character prediction, shipped with lucid.

    The text is split by position: the first ``train_fraction`` of its characters is the
    training part, the rest the validation part. Both share one vocabulary, ``chars``
    (every distinct character of the whole text, sorted), and each character is coded
    as its index in it. Sample :math:`i` of a part with codes :math:`c_0, c_1, \dots`
    is the window starting at :math:`s = i \cdot \text{stride}`,

    .. math:: x = (c_s, \dots, c_{s+L-1}), \qquad y = (c_{s+1}, \dots, c_{s+L}),

    so :math:`y_t` is the character that follows :math:`x_t` (``L = seq_len``). Both are
    int64 Tensors of shape ``(L,)``; a :class:`lucid.data.DataLoader` stacks them to
    ``(N, L)`` (transpose for a sequence-first layer, or use ``batch_first=True``).

    Parameters
    ----------
    seq_len : int, default 64
        :math:`L`, the characters per window.
    train : bool, default True
        The training part or the validation part.
    stride : int, optional
        Characters between window starts (default ``seq_len``: windows that do not
        overlap).
    train_fraction : float, default 0.9
        The share of the text in the training part, strictly between 0 and 1.

    Attributes
    ----------
    text : str
        This part's text.
    chars : list of str
        The vocabulary (the same for both parts).
    vocab_size : int
    codes : ndarray
        This part's text as int64 codes.

    Raises
    ------
    TypeError
        Non-int ``seq_len`` / ``stride``, non-bool ``train``, non-number
        ``train_fraction``.
    ValueError
        Non-positive ``seq_len`` / ``stride``, ``train_fraction`` outside (0, 1), or a
        part shorter than one window.

    Examples
    --------
    >>> import lucid
    >>> data = lucid.datasets.TinyShakespeare(seq_len=16)
    >>> len(data), data.vocab_size
    (1785, 58)
    >>> x, y = data[0]
    >>> data.decode(x), data.decode(y)
    ('First Citizen:\nB', 'irst Citizen:\nBe')
    >>> data.encode("Rome").tolist()
    [25, 46, 44, 36]
    >>> len(lucid.datasets.TinyShakespeare(seq_len=16, train=False))
    198
    """

    def __init__(self, seq_len=64, train=True, stride=None, train_fraction=0.9):
        name = "TinyShakespeare"
        self.seq_len = check_int(seq_len, name, "seq_len", minimum=1)
        self.train = check_bool(train, name, "train")
        self.stride = self.seq_len if stride is None else check_int(stride, name, "stride",
                                                                    minimum=1)
        fraction = check_number(train_fraction, name, "train_fraction", 0, 1, low_open=True,
                                high_open=True)
        whole = load_text()
        self.chars = sorted(set(whole))
        self.vocab_size = len(self.chars)
        self._index = {c: i for i, c in enumerate(self.chars)}
        cut = int(round(len(whole) * fraction))
        self.text = whole[:cut] if self.train else whole[cut:]
        self.codes = self.encode(self.text)
        if len(self.codes) < self.seq_len + 1:
            raise ValueError(f"{name}: the {'training' if self.train else 'validation'} part "
                             f"has {len(self.codes)} characters, fewer than one window of "
                             f"seq_len + 1 = {self.seq_len + 1}")

    def encode(self, text):
        """The codes of ``text`` (an int64 array); every character must be in ``chars``.

        Raises
        ------
        TypeError
            ``text`` not a str.
        ValueError
            A character outside the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"TinyShakespeare.encode: text must be a str; got "
                            f"{type(text).__name__}")
        unknown = sorted(set(text) - self._index.keys())
        if unknown:
            raise ValueError(f"TinyShakespeare.encode: characters not in the vocabulary: "
                             f"{''.join(unknown)!r}")
        return np.array([self._index[c] for c in text], dtype=np.int64)

    def decode(self, codes):
        """The text of ``codes`` (a Tensor, array or list of ints in ``[0, vocab_size)``).

        Raises
        ------
        ValueError
            A code outside ``[0, vocab_size)``.
        """
        values = np.asarray(codes.data if isinstance(codes, Tensor) else codes).reshape(-1)
        if values.size and (values.dtype.kind not in "iu" or values.min() < 0
                            or values.max() >= self.vocab_size):
            raise ValueError(f"TinyShakespeare.decode: codes must be ints in [0, "
                             f"{self.vocab_size}); got {values.tolist()[:10]}")
        return "".join(self.chars[int(i)] for i in values)

    def __len__(self):
        return (len(self.codes) - self.seq_len - 1) // self.stride + 1

    def __getitem__(self, index):
        index = _check_index(index, len(self), "TinyShakespeare")
        start = index * self.stride
        window = self.codes[start:start + self.seq_len + 1]
        return Tensor._wrap(window[:-1].copy()), Tensor._wrap(window[1:].copy())

    def __repr__(self):
        part = "train" if self.train else "validation"
        return (f"TinyShakespeare({part}, {len(self)} windows of {self.seq_len} characters, "
                f"vocabulary {self.vocab_size})")
