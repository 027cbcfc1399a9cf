"""The values the ``data`` config group's keys take, apart from the data module that uses them.

Kept in a module of their own so that a config check (``trainlab.config_validation``, which answers before Hydra
writes anything) can name the allowed values without importing Lightning through
:mod:`trainlab.data.mnist_datamodule`.
"""

SOURCES = ("auto", "bundled", "torchvision")  # data.source
EVAL_SPLITS = ("val", "train", "test")  # the entries of data.eval_splits
DEFAULT_VAL_SIZE = {"bundled": 500, "torchvision": 5000}  # data.val_size=null, per source
