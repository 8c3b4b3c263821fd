"""``ImageDataset``: what every image dataset here shares — images and labels held in
memory, ``(image, label)`` samples, and the optional ``transform`` /
``target_transform`` applied when a sample is read."""
import numpy as np

from lucid.data.dataset import Dataset, _check_index

__all__ = ["ImageDataset"]


class ImageDataset(Dataset):
    """Images ``data[i]`` with integer labels ``targets[i]``; sample ``i`` is
    ``(transform(data[i]), target_transform(int(targets[i])))``.

    Subclasses load ``data`` (an ndarray, first axis the samples) and ``targets``
    (int64, one per image) and call ``super().__init__``.
    """

    def __init__(self, data, targets, transform=None, target_transform=None):
        name = type(self).__name__
        for arg, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {arg} must be callable or None; got {type(value).__name__}")
        self.data = data
        self.targets = np.asarray(targets, dtype=np.int64)
        self.transform = transform
        self.target_transform = target_transform

    def _image(self, index):
        """Sample ``index``'s image before ``transform`` (subclasses may override)."""
        return self.data[index]

    def __getitem__(self, index):
        index = _check_index(index, len(self), type(self).__name__)
        image, label = self._image(index), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self):
        return len(self.targets)

    def __repr__(self):
        split = "train" if getattr(self, "train", True) else "test"
        return f"{type(self).__name__}({split}, {len(self)} samples)"
