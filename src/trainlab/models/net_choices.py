"""The values ``model.net.activation``, ``model.net.batch_norm``, ``model.net.batch_norm_running_stats`` and
``model.net.dropout_kind`` take.

Kept apart from :mod:`trainlab.models.mlp` so that a config check (``trainlab.config_validation``) names them
without importing torch: a command refused before anything is written answers in a fraction of a second.
"""

# model.net.activation -> the torch.nn module class (by name) applied after each hidden layer
ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
# model.net.batch_norm: none, the project's own BatchNorm (trainlab.nn.batch_norm.BatchNorm), or torch.nn.BatchNorm1d
BATCH_NORMS = ("none", "custom", "torch")
# model.net.batch_norm_running_stats: the running statistics of the project's own BatchNorm, as torch keeps them
# (start at mean 0 and variance 1, the unbiased variance averaged) or as the book does (start at 0, the biased one)
RUNNING_STATS = ("torch", "book")
# model.net.dropout_kind: torch.nn.Dropout (inverted: survivors scaled by 1/(1-p) in training) or the book's
# (trainlab.nn.dropout.BookDropout: survivors unscaled, the layer scaled by 1-p at inference)
DROPOUT_KINDS = ("inverted", "book")
