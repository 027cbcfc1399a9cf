"""The values ``model.net.activation`` and ``model.net.batch_norm`` take.

Kept apart from :mod:`trainlab.models.mlp` so that a config check (``trainlab.config_validation``) names them
without importing torch: a command refused before anything is written answers in a fraction of a second.
"""

# model.net.activation -> the torch.nn module class (by name) applied after each hidden layer
ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
# model.net.batch_norm: none, the project's own BatchNorm (trainlab.nn.batch_norm.BatchNorm), or torch.nn.BatchNorm1d
BATCH_NORMS = ("none", "custom", "torch")
