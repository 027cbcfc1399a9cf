"""The ``_target_`` of the project's own model and datamodule, as configs name them.

Checks that apply only to these classes (their keys and values, what a stack can share, what a DDP job's data
must allow) recognise a config by them; a model or datamodule of your own is left to its own arguments.
"""

CLASSIFIER = "trainlab.models.classifier.MLPClassifier"
MNIST_DATAMODULE = "trainlab.data.mnist_datamodule.MNISTDataModule"
NETWORK = "trainlab.models.mlp.MLP"  # the book's MLP, model.net of the project's classifier
OWN_TARGETS = {"model": CLASSIFIER, "data": MNIST_DATAMODULE}


def foreign_targets(targets: dict[str, str | None]) -> list[str]:
    """The keys of ``targets`` (``{"model": <_target_>, "data": <_target_>}``) that name a class other than trainlab's
    own: what ``trainlab evaluate``, which rebuilds the project's classifier and data, cannot evaluate."""
    return [key for key, target in targets.items() if target != OWN_TARGETS[key]]
