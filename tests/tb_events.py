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


def hparams_backend(logdir: Path):
    """What ``tensorboard --logdir <logdir>`` answers to the HPARAMS tab: (experiment, session groups - the rows -,
    run names), from TensorBoard's own event multiplexer and hparams plugin backend."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    backend = backend_context.Context(base_plugin.TBContext(data_provider=provider, logdir=str(logdir)))
    request_context = context.RequestContext()
    experiment = get_experiment.Handler(request_context, backend, "", api_pb2.GetExperimentRequest()).run()
    request = api_pb2.ListSessionGroupsRequest(start_index=0, slice_size=100,
                                               allowed_statuses=list(api_pb2.Status.values()))
    groups = list_session_groups.Handler(request_context, backend, "", request).run().session_groups
    return experiment, list(groups), sorted(multiplexer.Runs())


def runs_in_scalars_order(logdir: Path) -> list[str]:
    """The runs of ``tensorboard --logdir <logdir>`` in the order its SCALARS tab lists them (its ``/data/runs``:
    by the time of each run's first event, ties by name), from TensorBoard's own event multiplexer."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    runs = provider.list_runs(context.RequestContext(), experiment_id="")
    ordered = sorted(runs, key=lambda run: (run.start_time if run.start_time is not None else float("inf"),
                                            run.run_name))
    return [run.run_name for run in ordered]
