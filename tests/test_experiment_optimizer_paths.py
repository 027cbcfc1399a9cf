"""Experiment A: the optimizers' paths on f(x, y) = x²/20 + y² behave as the book shows."""

from __future__ import annotations

import math

import pytest

from trainlab.experiments import optimizer_paths


def distance_to_minimum(point):
    return math.hypot(*point)


def test_paths_behave_as_in_the_book(tmp_path):
    out = optimizer_paths.main(["--out", str(tmp_path)])
    paths = optimizer_paths.all_paths()
    assert set(paths) == {"SGD", "Momentum", "AdaGrad", "Adam"}
    for name, path in paths.items():
        assert len(path) == 31, name  # the start and 30 updates
        assert path[0] == (-7.0, 2.0)
        assert distance_to_minimum(path[-1]) < distance_to_minimum(path[0]), name
    # SGD zig-zags across the valley: y changes sign at every update (lr 0.95 · 2y overshoots)
    sgd_y = [y for _, y in paths["SGD"]]
    assert all(a * b < 0 for a, b in zip(sgd_y, sgd_y[1:], strict=False))
    # AdaGrad's ever-growing h damps y to ~0 quickly
    assert abs(paths["AdaGrad"][-1][1]) < 1e-3
    png = out / "optimizer_paths.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    rows = (out / "optimizer_paths.csv").read_text().splitlines()
    assert rows[0] == "optimizer,step,x,y,f" and len(rows) == 1 + 4 * 31


def test_first_sgd_step_is_the_closed_form():
    (x0, y0), (x1, y1) = optimizer_paths.optimizer_path(optimizer_paths.OPTIMIZERS["SGD"], steps=1)
    assert math.isclose(x1, x0 - 0.95 * x0 / 10, rel_tol=1e-15)
    assert math.isclose(y1, y0 - 0.95 * 2 * y0, rel_tol=1e-15)


def test_a_second_run_into_the_same_out_is_refused_and_the_first_result_is_kept(tmp_path, capsys):
    optimizer_paths.main(["--out", str(tmp_path)])
    first_png = (tmp_path / "optimizer_paths.png").read_bytes()
    first_csv = (tmp_path / "optimizer_paths.csv").read_text()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        optimizer_paths.main(["--out", str(tmp_path), "--steps", "3"])
    assert exit_info.value.code == 2
    assert (f"error: {tmp_path} already holds optimizer_paths.csv, optimizer_paths.png from an earlier run of "
            "optimizer_paths; choose a new --out") in capsys.readouterr().err
    assert (tmp_path / "optimizer_paths.png").read_bytes() == first_png
    assert (tmp_path / "optimizer_paths.csv").read_text() == first_csv  # 31 points per path, not 4


def test_an_out_folder_with_other_files_is_accepted(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    out = optimizer_paths.main(["--out", str(tmp_path)])
    assert (out / "optimizer_paths.png").is_file() and (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("below", ["", "sub"])
def test_an_out_that_is_a_file_or_lies_below_one_is_one_error_line_and_the_file_is_kept(tmp_path, capsys, below):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    out = a_file / below if below else a_file
    with pytest.raises(SystemExit) as exit_info:
        optimizer_paths.main(["--out", str(out)])
    assert exit_info.value.code == 2
    assert f"error: --out {out} is unusable: {a_file} is a file, not a directory" in capsys.readouterr().err
    assert a_file.read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("out", [None, "figures"])
def test_the_paths_it_prints_are_absolute_where_it_writes_relative_to_the_current_directory(tmp_path, monkeypatch,
                                                                                             capsys, out):
    """Without --out, or with a relative one, it printed ``wrote outputs/experiments/optimizer_paths/...``: paths
    relative to the directory it was started in, where the other commands print absolute ones."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAINLAB_ROOT", raising=False)
    written = optimizer_paths.main(["--steps", "3"] + (["--out", out] if out else []))
    expected = tmp_path / "figures" if out else tmp_path / "outputs" / "experiments" / "optimizer_paths"
    assert (written if out else written.parent) == expected  # absolute: tmp_path is
    assert capsys.readouterr().out.splitlines()[-1] == (f"wrote {written / 'optimizer_paths.png'} and "
                                                        f"{written / 'optimizer_paths.csv'}")


def test_an_empty_out_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    """``--out "$OUT"`` with OUT unset wrote the figure and table into the current directory."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        optimizer_paths.main(["--out", "", "--steps", "3"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "error: --out '' names no directory; allowed: --out <a directory>, or no --out for "
        "outputs/experiments/optimizer_paths/<date>_<time>")  # after argparse's program name
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("steps", "updates"), [("3", "3 updates"), ("1", "1 update")])
def test_the_figures_title_counts_the_updates_it_draws(tmp_path, monkeypatch, steps, updates):
    """The title said "30 updates" whatever --steps was."""
    from matplotlib.figure import Figure

    titles = []
    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda fig, *args, **kwargs: (titles.append(fig.get_suptitle()),
                                                                         save(fig, *args, **kwargs)))
    optimizer_paths.main(["--out", str(tmp_path), "--steps", steps])
    assert titles == [f"Optimizer paths on f(x, y) = x²/20 + y², start (-7, 2), {updates}"]
