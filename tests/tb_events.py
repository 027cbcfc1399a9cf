"""Reading TensorBoard event files back in tests."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def load_run(run_dir: Path) -> EventAccumulator:
    """All event files of one TensorBoard run (one directory), scalars, histograms and images included."""
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def scalar_values(run_dir: Path, tag: str) -> list[float]:
    return [event.value for event in load_run(run_dir).Scalars(tag)]


def session_columns(run_dir: Path) -> dict:
    """The HPARAMS columns of a run's session start, read with TensorBoard's event reader."""
    from tensorboard.plugins.hparams import metadata

    from trainlab.loggers.hparams import session_hparams

    content = load_run(run_dir).PluginTagToContent(metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG]
    return session_hparams(metadata.parse_session_start_info_plugin_data(content))
