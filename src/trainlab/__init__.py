"""trainlab: chapter 6 of *Deep Learning from Scratch* as Lightning + Hydra config groups (see README.md)."""

from trainlab.lightning_noise import silence_lightning_noise
from trainlab.matplotlib_config_dir import give_matplotlib_a_writable_dir

silence_lightning_noise()
give_matplotlib_a_writable_dir()  # before anything imports matplotlib (torchmetrics does)
