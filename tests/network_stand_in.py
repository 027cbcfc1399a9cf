"""``python tests/network_stand_in.py train.py <overrides>``: ``train.py`` in this process, with a stand-in for the
network that MNIST's download uses - for the DDP tests whose ranks are processes of their own (no monkeypatch
reaches them).

``STAND_IN_NETWORK_RANKS`` names the ranks (``RANK``, ``SLURM_PROCID``, ...) that reach the network,
comma-separated: their download "fetches" a tiny full MNIST (:func:`test_data.write_tiny_mnist`, 400 training / 100
test images) after ``STAND_IN_DOWNLOAD_S`` seconds (default 2: a download takes a while, so a rank that decides for
itself decides before it ends); the other ranks' download fails at once, as offline. Every download is counted in
``STAND_IN_DOWNLOADS`` (a directory: one file per attempt, named by rank and process id), when set.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path


def stand_in_download(data_dir, timeout_s) -> None:
    from trainlab.distributed.process_world import process_rank

    rank = str(process_rank())
    attempts = os.environ.get("STAND_IN_DOWNLOADS")
    if attempts:
        Path(attempts).mkdir(parents=True, exist_ok=True)
        (Path(attempts) / f"rank{rank}-{os.getpid()}").write_text(str(data_dir))
    if rank not in os.environ.get("STAND_IN_NETWORK_RANKS", "").split(","):
        raise OSError(f"network unreachable (the test's stand-in, rank {rank})")
    time.sleep(float(os.environ.get("STAND_IN_DOWNLOAD_S", "2")))
    from test_data import write_tiny_mnist

    write_tiny_mnist(Path(data_dir), n_train=400, n_test=100)


if __name__ == "__main__":
    from trainlab.data import mnist_datamodule, torchvision_mnist

    mnist_datamodule.download_torchvision_mnist = stand_in_download
    torchvision_mnist.download_torchvision_mnist = stand_in_download
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
