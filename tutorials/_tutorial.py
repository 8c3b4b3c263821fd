"""What every tutorial shares: the fast setting and where its figures go.

* ``LUCID_TUTORIAL_FAST=1`` asks for a quick run (fewer epochs, smaller data): CI uses it.
* Figures go to the folder given as the script's first argument, else to
  ``$LUCID_TUTORIAL_FIGURES``, else to a fresh temporary folder; never to the current
  directory. :func:`save_figure` writes one and says where.

matplotlib draws with its Agg backend (files only, no window), so the tutorials run on a
machine with no display.
"""
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["FAST", "FIGURES", "plt", "save_figure"]

#: True under ``LUCID_TUTORIAL_FAST=1``: train briefly, on less data.
FAST = os.environ.get("LUCID_TUTORIAL_FAST", "0") not in ("", "0")


def _figures_dir():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    folder = (args[0] if args else None) or os.environ.get("LUCID_TUTORIAL_FIGURES") \
        or tempfile.mkdtemp(prefix="lucid-tutorial-")
    os.makedirs(folder, exist_ok=True)
    return os.path.abspath(folder)


#: The folder the figures are written to.
FIGURES = _figures_dir()


def save_figure(fig, name):
    """Save ``fig`` as ``FIGURES/name`` (a PNG), close it, and print the path."""
    path = os.path.join(FIGURES, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"[figure saved: {path}]")
    return path
