"""trainlab: chapter 6 of *Deep Learning from Scratch* as Lightning + Hydra config groups (see README.md)."""

from trainlab.lightning_noise import silence_lightning_noise

silence_lightning_noise()
