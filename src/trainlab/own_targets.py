"""The ``_target_`` of the project's own model and datamodule, as configs name them.

Checks that apply only to these classes (their keys and values, what a stack can share, what a DDP job's data
must allow) recognise a config by them; a model or datamodule of your own is left to its own arguments.
"""

CLASSIFIER = "trainlab.models.classifier.MLPClassifier"
MNIST_DATAMODULE = "trainlab.data.mnist_datamodule.MNISTDataModule"
