"""Stacked sweeps: the members of a sweep that differ only in stackable settings train as one vectorized model.

Every member of a sweep sees the same batch sequence (``data.seed``), so K members can share each batch: their
parameters carry a leading member dimension K, and one forward, one backward, one optimizer step and one
validation pass per step serve all K. What each member would have written on its own - job directory,
TensorBoard run, ``status.json``, checkpoint, objective - is written for it.

* :mod:`~trainlab.stacked.grouping` - which jobs can share a model (the group key) and why a job runs alone.
* :mod:`~trainlab.stacked.stacked_mlp` - the network: K MLPs of one architecture as (K, ...) tensors.
* :mod:`~trainlab.stacked.stacked_optimizer` - the members' optimizers as one, per-member hyper-parameters.
* :mod:`~trainlab.stacked.stacked_classifier` - the LightningModule: per-member losses, metrics, divergence.
* :mod:`~trainlab.stacked.member_outputs` - each member's loggers, checkpoints and ``status.json``.
* :mod:`~trainlab.stacked.train_stack` - the task: build the members as lone runs would, stack, fit, record.
* :mod:`~trainlab.stacked.long_lived_objects` - the garbage collector kept off the objects that live all sweep.

The Hydra side is a thin launcher plugin, ``hydra/launcher=stacked``
(``src/hydra_plugins/trainlab_stacked_launcher/``).
"""
