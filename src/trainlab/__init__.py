"""trainlab: chapter 6 of *Deep Learning from Scratch* as Lightning + Hydra config groups (see README.md)."""

import warnings

# Lightning (2.6) flattens every batch with torch's ``LeafSpec``, which recent torch releases deprecate: a FutureWarning
# on every run and evaluation that no trainlab user can act on. Only that message is silenced.
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", category=FutureWarning)
