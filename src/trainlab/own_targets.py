"""The ``_target_`` of the project's own model, datamodule and optimizers, as configs name them.

Checks that apply only to these classes (their keys and values, what a stack can share, what a DDP job's data
must allow) recognise a config by them; a model, datamodule or optimizer of your own is left to its own arguments -
also where its module lives inside the project's packages.
"""

CLASSIFIER = "trainlab.models.classifier.MLPClassifier"
MNIST_DATAMODULE = "trainlab.data.mnist_datamodule.MNISTDataModule"
NETWORK = "trainlab.models.mlp.MLP"  # the book's MLP, model.net of the project's classifier
OWN_TARGETS = {"model": CLASSIFIER, "data": MNIST_DATAMODULE}
#: the book's optimizers, the classes ``trainlab.optim`` exports (module -> class), named without importing torch
BOOK_OPTIMIZER_CLASSES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                          "rmsprop": "RMSProp", "adam": "Adam"}
#: their ``_target_`` by either import path (``trainlab.optim.sgd.SGD``, ``trainlab.optim.SGD``). A class of one's own
#: put in ``src/trainlab/optim/`` (as docs/extending.md shows) is not among them, even a subclass of one of them: its
#: ``momentum`` may mean something else, and it checks its own values
BOOK_OPTIMIZERS = frozenset({f"trainlab.optim.{module}.{name}" for module, name in BOOK_OPTIMIZER_CLASSES.items()}
                            | {f"trainlab.optim.{name}" for name in BOOK_OPTIMIZER_CLASSES.values()})

#: the project's initializers (conf/init/*.yaml), by either import path; one of one's own put in src/trainlab/init/
#: (as docs/extending.md shows) is not among them
OWN_INITIALIZERS = frozenset({f"trainlab.init.{name}.{name}_init" for name in
                              ("default", "glorot", "he", "normal", "xavier", "zeros")}
                             | {f"trainlab.init.{name}_init" for name in
                                ("default", "glorot", "he", "normal", "xavier", "zeros")})


def foreign_targets(targets: dict[str, str | None]) -> list[str]:
    """The keys of ``targets`` (``{"model": <_target_>, "data": <_target_>}``) that name a class other than trainlab's
    own: what ``trainlab evaluate``, which rebuilds the project's classifier and data, cannot evaluate."""
    return [key for key, target in targets.items() if target != OWN_TARGETS[key]]
