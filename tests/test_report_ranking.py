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
    assert panel_titles(lowest) == ["#1 objective 2.127", "#2 objective 2.259", "#3 objective 2.301"]
    assert lowest._suptitle.get_text() == "I: random search, the 20 best trials (lowest objective first)"
    highest = draw(jobs, [], "hparams_search/random")["top20_trials"]
    assert panel_titles(highest)[0] == "#1 objective 2.301"
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
    assert panel_titles(figure) == ["#1 val/loss 2.127", "#2 val/loss 2.259"]
    assert figure._suptitle.get_text() == "I: random search, the 20 best trials (lowest val/loss first)"
    assert figure._supylabel.get_text() == "accuracy"
    (job_dir / "config.yaml").write_text("optimized_metric: null\n")
    assert optimized_metric(jobs) is None
    assert optimized_metric(trials([0.5])) is None  # no .hydra/config.yaml: the panels say "objective"
