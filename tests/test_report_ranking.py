"""The search report's grid of best trials follows the search's direction (trainlab.report)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from trainlab.report.build import draw  # noqa: E402
from trainlab.report.sweep_runs import JobRun, optimized_metric, search_minimizes  # noqa: E402


def trials(objectives: list[float]) -> list[JobRun]:
    curve = ([1, 2], [0.5, 0.6])
    return [JobRun(name=f"{n}_x", path=Path(f"/x/{n}"), params={"optimizer.lr": "0.01"}, status="completed",
                   metrics={}, objective=value, scalars={"val/acc": curve, "train/acc": curve})
            for n, value in enumerate(objectives)]


def panel_titles(figure) -> list[str]:
    return [ax.get_title().splitlines()[0] for ax in figure.axes if ax.get_title()]


def test_a_minimised_search_shows_its_lowest_objectives_first_and_a_maximised_one_its_highest(tmp_path):
    jobs = trials([2.259, 2.127, 2.301])
    lowest = draw(jobs, [], "hparams_search/random", minimize=True)["top20_trials"]
    # each panel names its trial (the job directory's number), the title the trials there are
    assert panel_titles(lowest) == ["#1 trial 1: objective 2.127", "#2 trial 0: objective 2.259",
                                    "#3 trial 2: objective 2.301"]
    assert lowest._suptitle.get_text() == "I: random search, the 3 best trials (lowest objective first)"
    highest = draw(jobs, [], "hparams_search/random")["top20_trials"]
    assert panel_titles(highest)[0] == "#1 trial 2: objective 2.301"
    (tmp_path / "optimization_results.yaml").write_text("direction: minimize\n")
    assert search_minimizes(tmp_path) and not search_minimizes(tmp_path / "grid")


def test_the_grid_names_the_metric_the_search_optimised_read_from_the_jobs_config(tmp_path):
    jobs = trials([2.259, 2.127])
    job_dir = tmp_path / "0_x" / ".hydra"
    job_dir.mkdir(parents=True)
    (job_dir / "config.yaml").write_text("seed: 0\noptimized_metric: val/loss\n")
    jobs[0].path = tmp_path / "0_x"
    assert optimized_metric(jobs) == "val/loss"
    figure = draw(jobs, [], "hparams_search/random", minimize=True, metric=optimized_metric(jobs))["top20_trials"]
    assert panel_titles(figure) == ["#1 trial 1: val/loss 2.127", "#2 trial 0: val/loss 2.259"]
    assert figure._suptitle.get_text() == "I: random search, the 2 best trials (lowest val/loss first)"
    assert figure._supylabel.get_text() == "accuracy"
    (job_dir / "config.yaml").write_text("optimized_metric: null\n")
    assert optimized_metric(jobs) is None
    assert optimized_metric(trials([0.5])) is None  # no .hydra/config.yaml: the panels say "objective"


def test_the_grid_is_titled_by_the_sampler_and_the_summary_shows_the_objective(tmp_path):
    """hparams_search=random hydra/sweeper/optuna_sampler=gp was titled 'random search'; a search that minimised
    val/loss had neither its objective nor val/loss in summary.md."""
    from trainlab.report.build import summary_markdown
    from trainlab.report.sweep_runs import sampler_choice

    jobs = trials([2.259, 2.127])
    (tmp_path / "0_x" / ".hydra").mkdir(parents=True)
    (tmp_path / "0_x" / ".hydra" / "hydra.yaml").write_text(
        "hydra:\n  runtime:\n    choices:\n      hparams_search: random\n      hydra/sweeper/optuna_sampler: gp\n")
    jobs[0].path = tmp_path / "0_x"
    assert sampler_choice(jobs) == "gp" and sampler_choice(trials([1.0])) is None
    figure = draw(jobs, [], "hparams_search/random", minimize=True)["top20_trials"]
    assert figure._suptitle.get_text() == "I: GP search, the 2 best trials (lowest objective first)"
    jobs[0].metrics, jobs[1].metrics = {"val/loss": 2.259}, {"val/loss": 2.127}
    table = summary_markdown(jobs, [], "hparams_search/random", "val/loss").splitlines()
    assert table[6:9] == ["| job | status | objective (val/loss) | val/loss |", "|---|---|---|---|",
                          "| 0 | completed | 2.259 | 2.259 |"]


def test_each_panel_names_the_values_of_every_searched_key(tmp_path):
    """The panels named lr and wd only: a search over init or momentum showed neither."""
    jobs = trials([0.9, 0.8])
    jobs[0].params = {"optimizer.lr": "0.0012345", "model.weight_decay": "1e-05", "init": "he",
                      "optimizer.momentum": "0.85"}
    keys = ["init", "model.weight_decay", "optimizer.lr", "optimizer.momentum"]
    figure = draw(jobs, keys, "hparams_search/tpe")["top20_trials"]
    first = next(ax.get_title() for ax in figure.axes if ax.get_title())
    assert first.splitlines() == ["#1 trial 0: objective 0.900", "lr 1.23e-03, wd 1.00e-05", "init he, momentum 0.85"]


def test_a_search_without_a_completed_trial_draws_no_grid_and_says_so(tmp_path, capsys):
    """It drew an empty figure titled 'the 0 best trials', with matplotlib's warning of a legend without lines."""
    import json
    import warnings

    from trainlab.report.build import build_report

    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    job = tmp_path / "0_optimizer.lr=0.01"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "hydra.yaml").write_text(json.dumps({"hydra": {"runtime": {"choices": {
        "hparams_search": "random"}}}}))
    (job / "status.json").write_text(json.dumps({"status": "interrupted", "overrides": ["optimizer.lr=0.01"],
                                                 "metrics": {}}))
    warned = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels found" would fail here
        written = build_report(tmp_path, warn=warned.append)
    assert set(written) == {"summary"}
    assert warned[-1] == (f"no trial of {tmp_path} completed with an objective: no top-trials figure; summary.md lists "
                          "the trials")
