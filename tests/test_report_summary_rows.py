"""summary.md's table: a search's trials ranked as its ranking.csv (they were in job order), numbers in 4
significant digits (``0.5411695265464637``, ``1.2313185468743873e-07`` were printed whole), and a line saying the
order."""

from __future__ import annotations

from pathlib import Path

from trainlab.report.build import summary_markdown
from trainlab.report.sweep_runs import JobRun


def trial(number: int, lr: str, objective: float | None, status: str = "completed") -> JobRun:
    metrics = {} if objective is None else {"val/acc": objective}
    return JobRun(name=f"{number}_x", path=Path(f"/nowhere/{number}_x"), params={"optimizer.lr": lr}, status=status,
                  metrics=metrics, objective=objective)


TRIALS = [trial(0, "1.2313185468743873e-07", 0.5411695265464637), trial(1, "0.001", 0.9123456),
          trial(2, "0.0031", None, "failed"), trial(3, "5.0", 0.7)]


def table(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| job")]


def test_a_search_ranks_its_trials_as_ranking_csv_and_says_so():
    markdown = summary_markdown(TRIALS, ["optimizer.lr"], "hparams_search/random", "val/acc")
    assert table(markdown) == ["| 1 | 0.001 | completed | 0.9123 | 0.9123 |",
                               "| 3 | 5.0 | completed | 0.7 | 0.7 |",
                               "| 0 | 1.231e-07 | completed | 0.5412 | 0.5412 |",
                               "| 2 | 0.0031 | failed |  |  |"]
    assert ("Trials ranked by the objective (val/acc), highest first, as in ranking.csv; those that did not complete "
            "with one last, in job order.") in markdown.splitlines()


def test_a_search_that_minimises_ranks_the_lowest_first():
    markdown = summary_markdown(TRIALS, ["optimizer.lr"], "hparams_search/tpe", "val/acc", minimize=True)
    assert [row.split(" | ")[0] for row in table(markdown)] == ["| 0", "| 3", "| 1", "| 2"]
    assert "lowest first" in markdown


def test_a_comparison_keeps_job_order_and_says_so():
    markdown = summary_markdown(TRIALS, ["optimizer.lr"], "compare_optimizers", "val/acc")
    assert [row.split(" | ")[0] for row in table(markdown)] == ["| 0", "| 1", "| 2", "| 3"]
    assert "Rows in job order." in markdown.splitlines()
