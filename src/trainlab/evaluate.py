"""``trainlab evaluate RUN_DIR``: loss and accuracy of a finished run's checkpoint on the splits you name.

    trainlab evaluate outputs/runs/2026-11-28_12-00-00                   # last.ckpt on val and test
    trainlab evaluate outputs/multiruns/<sweep>/0_optimizer=adam --ckpt best --split train val test

The run's own composed config (``RUN_DIR/.hydra/config.yaml``) rebuilds its data - the same source (``auto`` as it
resolved for the run, from ``status.json``), split sizes and batch sizes - and its network; the checkpoint's
weights are loaded, and every requested split is evaluated in eval mode in one validation pass, the computation
of the run's own validation. So ``--ckpt last`` reproduces the run's final ``val/acc`` and ``test/acc`` exactly.

``--ckpt``: ``last`` (``checkpoints/last.ckpt``, the default), ``best`` (the best epoch that
``callbacks.model_checkpoint`` recorded in ``last.ckpt``: a run with ``monitor`` and ``save_top_k >= 1``), or a path.
A file that is not a trainlab checkpoint, or one of another network than the run's, is refused with one line
saying which (:func:`trainlab.checkpoint_check.check_checkpoint`). A run that did not complete - recorded
``diverged`` or ``interrupted`` in its ``status.json``, or one without a ``status.json`` yet (still training, or
killed) - still evaluates, and :func:`run_end_note` says what its checkpoint then holds (a diverged run's ``nan``
loss is its weights', not the evaluation's); a ``nan`` loss of another checkpoint (``--ckpt best`` or a path) gets
:func:`nan_loss_note`. Those notes are the one word on it (torchmetrics' own warning about the ``nan`` values came
beside the table while the losses were its ``MeanMetric``: :mod:`trainlab.models.weighted_mean`).

What is refused before the checkpoint is read - a run directory, split or checkpoint file that is not there, a run
of a model or data module of one's own - is refused before torch and Lightning are imported: in ~0.2 s, not ~5 s.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf, open_dict

from trainlab.checkout import root_dir
from trainlab.collector_paused_import import import_with_collector_paused
from trainlab.config_instantiation import instantiate_key
from trainlab.data.data_choices import EVAL_SPLITS
from trainlab.dir_lock import locked_by_another
from trainlab.errors import CheckpointNotFoundError, ConfigError, RecordedFileError, UserError
from trainlab.lightning_noise import LIGHTNING_INFO_LOGGER
from trainlab.models.metric_names import EVAL_METRIC_NAMES
from trainlab.own_targets import OWN_TARGETS, foreign_targets
from trainlab.printed_trainlab import trainlab_command
from trainlab.recorded_yaml import RUN_FILE_DAMAGED, read_recorded_mapping
from trainlab.run_status import STATUS_FILE, read_status

if TYPE_CHECKING:
    import torch


def sweep_dir_message(sweep_dir: Path) -> str:
    """A sweep directory given where a run's is expected: its first job as the example, and the report."""
    from trainlab.sweep.job_dirs import sweep_job_dirs

    jobs = [job for job in sweep_job_dirs(sweep_dir) if (job / ".hydra" / "config.yaml").is_file()]
    example = f" ({trainlab_command('evaluate', jobs[0])})" if jobs else ""
    return (f"{sweep_dir} is a sweep, not a run: evaluate one of its jobs{example}, or compare them all with "
            f"{trainlab_command('report', sweep_dir)}")


def run_config(run_dir: Path) -> DictConfig:
    """The run's composed config, its output directory pointed at ``run_dir`` (Hydra is not running here)."""
    path = run_dir / ".hydra" / "config.yaml"
    if not path.is_file():
        if run_dir.is_symlink() and not run_dir.exists():  # a job moved out of its sweep, linked back, deleted
            raise UserError(f"{run_dir} is a symbolic link to nothing ({os.path.realpath(run_dir)} does not exist): "
                            "its run was deleted or moved; allowed: the run's directory itself")
        if not run_dir.is_dir():
            raise UserError(f"{run_dir} is a file, not a run directory" if run_dir.exists() else
                            f"run directory {run_dir} does not exist")
        if (run_dir / "multirun.yaml").is_file():
            raise UserError(sweep_dir_message(run_dir))
        if (run_dir / STATUS_FILE).is_file():  # a run, trained with hydra.output_subdir=null
            raise UserError(f"{run_dir} has no .hydra/config.yaml, the config evaluate rebuilds the model and data "
                            "from (the run was trained with hydra.output_subdir=null, which writes none); train it "
                            "again without that setting to evaluate it")
        raise UserError(f"{run_dir} has no .hydra/config.yaml: not the directory of a trainlab run "
                        "(outputs/runs/<run> or outputs/multiruns/<sweep>/<job>)")
    cfg = OmegaConf.create(read_recorded_mapping(path, RUN_FILE_DAMAGED))
    if not isinstance(cfg.get("paths"), DictConfig) or cfg.get("data") is None or cfg.get("model") is None:
        raise RecordedFileError(f"{path} is not a trainlab run's config (no paths, data or model): {RUN_FILE_DAMAGED}")
    with open_dict(cfg):
        cfg.paths.output_dir = str(run_dir)
        if "root_dir" in cfg.paths:  # as train.py sets it: TRAINLAB_ROOT, else the checkout
            cfg.paths.root_dir = str(root_dir())
        trained_on = recorded_data_dir(run_dir)
        if "TRAINLAB_ROOT" not in os.environ and trained_on is not None:  # the data the run trained on, wherever
            cfg.data.data_dir = trained_on                                  # this command is started from
    return cfg


def recorded_data_dir(run_dir: Path) -> str | None:
    """``data.data_dir`` as the run resolved it (its ``hparams.yaml``), where that directory still exists: the
    config's own value (``${paths.root_dir}/data``) depends on where this process runs."""
    try:
        data = read_recorded_mapping(run_dir / "hparams.yaml").get("data")
    except (OSError, RecordedFileError):  # no record of it: the config's value
        return None
    recorded = data.get("data_dir") if isinstance(data, dict) else None
    return str(recorded) if isinstance(recorded, str) and Path(recorded).is_dir() else None


def wrote_checkpoints(run_dir: Path) -> bool:
    """Whether the run's config had a ``ModelCheckpoint`` callback (``callbacks=none`` has none)."""
    callbacks = read_recorded_mapping(run_dir / ".hydra" / "config.yaml", RUN_FILE_DAMAGED).get("callbacks") or {}
    return any(str(entry.get("_target_", "")).endswith(".ModelCheckpoint")
               for entry in callbacks.values() if isinstance(entry, dict))


def checkpoints_listing(run_dir: Path) -> str:
    found = sorted(p.name for p in (run_dir / "checkpoints").glob("*.ckpt"))
    if found:
        return f"checkpoints there: {', '.join(found)}"
    if not wrote_checkpoints(run_dir):
        return ("the run was trained without checkpoints (no ModelCheckpoint in its callbacks: callbacks=none, or "
                "callbacks=no_checkpoints, which experiments F, G, H and I choose); train it again with "
                "callbacks=default to evaluate it")
    return "it holds no checkpoint"


def best_checkpoint(run_dir: Path) -> Path:
    """The best epoch's file, as ``ModelCheckpoint`` recorded it in ``last.ckpt``."""
    last = run_dir / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise CheckpointNotFoundError(f"--ckpt best: {last} is missing, and it records the best epoch; "
                                      f"{checkpoints_listing(run_dir)}")
    # read as every checkpoint is (tensors and plain values only, its CRCs checked): a damaged last.ckpt was a
    # traceback here, and weights_only=False would have run whatever a foreign file pickled
    import_with_collector_paused("torch")  # --ckpt best reads last.ckpt's records: torch, not Lightning yet
    from trainlab.checkpoint_read import read_checkpoint

    states = read_checkpoint(last, "--ckpt best").get("callbacks", {})
    recorded = [state.get("best_model_path") for key, state in states.items()
                if key.startswith("ModelCheckpoint") and state.get("monitor") is not None]  # not last_checkpoint
    recorded = [path for path in recorded if path]
    if not recorded:
        raise CheckpointNotFoundError(
            f"--ckpt best: the run kept no best epoch (train it with callbacks.model_checkpoint.monitor=val/acc "
            f"callbacks.model_checkpoint.save_top_k=1); use --ckpt last or a path; {checkpoints_listing(run_dir)}")
    path = run_dir / "checkpoints" / Path(recorded[0]).name  # the run directory may have moved since
    if not path.is_file():
        raise CheckpointNotFoundError(f"--ckpt best: {path} (the best epoch recorded in last.ckpt) is missing; "
                                      f"{checkpoints_listing(run_dir)}")
    return path


def find_checkpoint(run_dir: Path, ckpt: str) -> Path:
    if ckpt == "best":
        return best_checkpoint(run_dir)
    path = run_dir / "checkpoints" / "last.ckpt" if ckpt == "last" else Path(ckpt)
    if not path.is_file():
        raise CheckpointNotFoundError(f"--ckpt {ckpt}: no checkpoint file at {path}; {checkpoints_listing(run_dir)}")
    return path


def load_weights(model: torch.nn.Module, path: Path) -> None:
    """The checkpoint's ``state_dict`` into ``model`` (a checkpoint :func:`check_checkpoint` accepted), whose network
    first takes the dtype of the checkpoint's weights: a ``64-true`` run's float64 weights, loaded into the float32
    network the config builds, were rounded to float32 before Lightning turned the network into float64 again."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    dtype = next((value.dtype for name, value in state.items()
                  if name.startswith("net.") and value.is_floating_point()), None)
    if dtype is not None:
        model.net.to(dtype=dtype)
    model.load_state_dict(state)


def check_own_model_and_data(cfg: DictConfig, run_dir: Path) -> None:
    """The run trained trainlab's classifier on trainlab's MNIST data module, which this command rebuilds (a model or
    data module of the user's own has its own validation; Lightning's ``Trainer.validate`` runs it)."""
    targets = {key: OmegaConf.select(cfg, f"{key}._target_", default=None) for key in OWN_TARGETS}
    if foreign := foreign_targets(targets):
        key = foreign[0]
        raise ConfigError(
            f"{run_dir} trained {key}._target_={targets[key]}; trainlab evaluate rebuilds only trainlab's own "
            f"{key}._target_={OWN_TARGETS[key]}: evaluate that run with Lightning's Trainer.validate (or "
            f"Trainer.test) on its checkpoint, e.g. trainer.validate(model, datamodule=..., ckpt_path="
            f"'{run_dir / 'checkpoints' / 'last.ckpt'}')")


#: what a ``--ckpt last`` of a run that did not complete holds, by its recorded status
END_NOTES = {
    "diverged": "its training loss became NaN/Inf, and last.ckpt holds the weights of that step (a nan loss is "
                "theirs)",
    "interrupted": "it was stopped before the end of its budget, and last.ckpt holds the weights where it stopped "
                   "(resume it with ckpt_path=last)",
    "failed": "it failed before the end of its budget (its status.json records the error), and last.ckpt holds the "
              "weights of its last saved epoch",
}


def nan_loss_note(run_dir: str | os.PathLike, ckpt: str, results: dict[str, dict[str, float]]) -> str | None:
    """A line for an evaluation whose loss is ``nan`` on some split: which weights of the checkpoint are NaN/Inf - a
    diverged run's weights, e.g. its ``last.ckpt`` given by path, or a killed run's - or, where all are finite, that
    the network's outputs were. None where every loss is a number, or for the ``last`` checkpoint of a run recorded
    ``diverged`` (:func:`run_end_note` says it)."""
    nan_splits = [split for split, values in results.items() if math.isnan(values["loss"])]
    if not nan_splits:
        return None
    if ckpt == "last" and (read_status(run_dir, RUN_FILE_DAMAGED) or {}).get("status") == "diverged":
        return None
    import torch

    path = find_checkpoint(Path(run_dir), ckpt).absolute()  # named as every path the commands print
    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    non_finite = [name for name, value in state.items()
                  if name.startswith("net.") and value.is_floating_point() and not torch.isfinite(value).all()]
    on = f"the loss on {', '.join(nan_splits)} is nan"
    if not non_finite:
        return f"note: {on}, though the weights in {path} are finite: the network's outputs there hold NaN/Inf"
    named = ", ".join(non_finite[:2]) + (f" and {len(non_finite) - 2} more" if len(non_finite) > 2 else "")
    return (f"note: {on}: {path} holds NaN/Inf weights ({named}), a diverged run's - the nan is theirs, not the "
            "evaluation's")


#: what a ``--ckpt last`` of a run without a ``status.json`` holds: a run writes it when it ends
UNENDED_NOTE = "last.ckpt holds the weights of its last saved epoch"


def run_end_note(run_dir: str | os.PathLike, ckpt: str) -> str | None:
    """A line for a run that did not complete, where ``ckpt`` is its ``last`` checkpoint: its ``status.json``
    records why (:data:`END_NOTES`), or it has none - a run still training, or killed before it could write one,
    whose table looked like a finished run's. Another process holding the run directory's lock
    (:func:`~trainlab.dir_lock.locked_by_another`) says it is still training; an unlocked one may be either (a
    sweep's or search's jobs are not locked). None for a completed run or another checkpoint."""
    run_dir = Path(run_dir).absolute()  # named as every path the commands print (docs/where-files-go.md)
    if ckpt != "last":
        return None
    recorded = read_status(run_dir, RUN_FILE_DAMAGED)
    if recorded is None:
        if locked_by_another(run_dir):
            return (f"note: {run_dir} is still training (another process holds its directory's lock) and has not "
                    f"recorded its end in a {STATUS_FILE} yet: {UNENDED_NOTE} so far")
        return (f"note: {run_dir} has not recorded its end in a {STATUS_FILE} (still training, or killed): "
                f"{UNENDED_NOTE}")
    status = recorded.get("status")
    if status not in END_NOTES:
        return None
    return f"note: {run_dir} is recorded {status} in its {STATUS_FILE}: {END_NOTES[status]}"


def changed_data_note(recorded: str | None, loaded: str | None, data: DictConfig) -> str | None:
    """A ``note:`` where the images and labels loaded now are not those the run loaded (their digests,
    :mod:`trainlab.data.data_digest`, differ); None where they agree or either is unknown (a run recorded before the
    digest was, a data module of one's own)."""
    if recorded is None or loaded is None or recorded == loaded:
        return None
    where = data.get("data_dir") if data.get("source") == "torchvision" else "the bundled sample's cache"
    return (f"note: the data loaded now is not the data the run trained and was tested on (its digest {loaded}, the "
            f"run's {recorded} in its {STATUS_FILE}): the files in {where} changed since, so these numbers are of "
            "the files as they are now, not the run's")


def evaluate(run_dir: str | os.PathLike, ckpt: str = "last", splits: Sequence[str] = ("val", "test"),
             notes: list[str] | None = None) -> dict[str, dict[str, float]]:
    """``{split: {"loss": ..., "acc": ...}}`` of the checkpoint ``ckpt`` of the run in ``run_dir``; a file of the run
    that is damaged or refused is named by its absolute path, as every path the commands print
    (docs/where-files-go.md). ``notes``, where given, gets what the numbers need said beside them
    (:func:`changed_data_note`)."""
    run_dir = Path(run_dir).absolute()
    splits = list(dict.fromkeys(splits))
    unknown = [split for split in splits if split not in EVAL_SPLITS]
    if unknown or not splits:
        raise ConfigError(f"--split {' '.join(unknown)} is invalid; allowed: one or more of {', '.join(EVAL_SPLITS)}")
    cfg = run_config(run_dir)
    check_own_model_and_data(cfg, run_dir)
    path = find_checkpoint(run_dir, ckpt)
    status = read_status(run_dir, RUN_FILE_DAMAGED) or {}
    with open_dict(cfg):
        cfg.data.eval_splits = splits
        if cfg.data.source == "auto" and status.get("data_source"):
            cfg.data.source = status["data_source"]
    # what is refused above answers without torch; from here on the checkpoint is read and the model built
    import_with_collector_paused("lightning")  # with the garbage collector paused: ~1 s less
    import lightning as L
    import torch

    from trainlab.checkpoint_check import check_checkpoint, composed_model
    from trainlab.metric_values import metric_number

    try:
        check_checkpoint(path, cfg, purpose="evaluate", name=f"--ckpt {ckpt}")
        datamodule = instantiate_key(cfg, "data")
        model = composed_model(cfg, factories=False)  # evaluation takes no step: the optimizer's module need not import
    except ConfigError as error:  # a value of the run's recorded config (edited, or of another trainlab): its file
        raise ConfigError(f"{run_dir / '.hydra' / 'config.yaml'}: {error}; to evaluate the run, restore that file as "
                          "the run wrote it, or train the run again") from error
    load_weights(model, path)
    accelerator = cfg.trainer.get("accelerator", "cpu")
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        accelerator = "cpu"  # a run trained on a GPU machine, evaluated here
    lightning_info = logging.getLogger(LIGHTNING_INFO_LOGGER)
    level = lightning_info.level
    lightning_info.setLevel(logging.WARNING)  # "GPU available: False, used: False": noise beside the table
    try:
        trainer = L.Trainer(accelerator=accelerator, devices=1, precision=cfg.trainer.get("precision", "32-true"),
                            logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False)
    finally:
        lightning_info.setLevel(level)
    trainer.validate(model, datamodule=datamodule, verbose=False)
    if notes is not None and (note := changed_data_note(status.get("data_digest"),
                                                        getattr(datamodule, "data_digest", None), cfg.data)):
        notes.append(note)
    metrics = trainer.callback_metrics
    results = {}
    for split in splits:
        loss_name, acc_name = EVAL_METRIC_NAMES[split]
        results[split] = {"loss": metric_number(metrics[loss_name]), "acc": metric_number(metrics[acc_name])}
    return results


if __name__ == "__main__":  # python -m trainlab.evaluate RUN_DIR ...: the same as trainlab evaluate RUN_DIR ...
    import sys

    from trainlab.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
