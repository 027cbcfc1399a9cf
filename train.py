"""Train the book's MLP from the Hydra config in ``conf/`` (see README.md).

    python train.py                                  # one run with conf/train.yaml
    python train.py optimizer=adam init=he -m        # a multirun, one TensorBoard run per job
    python train.py experiment=compare_optimizers    # a chapter-6 comparison sweep
"""

import os
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trainlab.train import train

# conf/paths/default.yaml places data/ and outputs/ under the repository root, whatever the working directory.
os.environ.setdefault("TRAINLAB_ROOT", str(Path(__file__).resolve().parent))


@hydra.main(config_path="conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    return train(cfg)


if __name__ == "__main__":
    main()
