"""The directory a report is written into, and what a new report may replace there.

A report directory (``<sweep>/report/``, or ``trainlab report --out DIR``) holds one sweep's report and its record,
``.report.json``: the sweep it reports and the SHA-256 of every file the report wrote. Writing a report again is
normal - the sweep was resumed, the report code changed - and so a new report of the **same sweep**:

* replaces the earlier report's files that are still as that report wrote them, and names each one
  (``replaced <file> (the earlier report's)``), its TensorBoard event file included;
* removes the earlier report's files it does not write again (a figure of a metric the jobs no longer log), naming
  them too (``removed <file> ...``), so the directory never shows a stale figure beside the new ones.

What a report did not write, or wrote but someone changed since, is never replaced: a report that would write one
of its files where such a file is - an edited ``summary.md``, a figure of the same name, another TensorBoard run's
event file (``--out`` pointed at a job's directory) - is refused with :class:`~trainlab.errors.RunDirInUseError`,
naming the files, before anything is written. So is a directory whose record names **another sweep**: two reports
in one directory would mix their figures and share one ``summary.md`` and one TensorBoard run. The default
directory ``<sweep>/report`` is its sweep's whatever its record says (a sweep moved or copied elsewhere keeps its
report). A directory that holds other files keeps them: ``--out`` may collect anything beside a report.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from trainlab.atomic_files import write_json_atomically
from trainlab.errors import RunDirInUseError
from trainlab.logger_dirs import EVENT_FILES  # the report's TensorBoard run: a new file of it each time

RECORD = ".report.json"


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes, as hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_record(path: Path) -> dict[str, object] | None:
    """The directory's record of the report written there (None without one)."""
    record = path / RECORD
    if not record.exists():
        return None
    try:
        payload = json.loads(record.read_text())
        if not (isinstance(payload, dict) and isinstance(payload.get("sweep"), str)
                and isinstance(payload.get("files"), dict)):
            raise ValueError("not a record of trainlab report: no sweep and files")
        outside = [name for name in payload["files"] if Path(name).name != name or name in ("", ".", "..")]
        if outside:  # the report replaces and removes what its record names: never a file elsewhere
            raise ValueError(f"it names files outside the directory: {', '.join(map(repr, outside))}")
    except (OSError, ValueError) as error:
        raise RunDirInUseError(f"cannot read {record} ({error}), the record of the report in {path}; nothing was "
                               "written. Move the directory away, or write the report elsewhere (--out DIR)") from error
    return payload


def default_report_dir(sweep_dir: Path) -> Path:
    """Where a sweep's report goes without ``--out``."""
    return sweep_dir / "report"


@dataclass
class ReportDir:
    """A report directory claimed for ``sweep`` (see the module docstring); ``earlier``: the files of the earlier
    report of this sweep that are still as it wrote them ({name: SHA-256})."""

    path: Path
    sweep: Path
    earlier: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)  # the record being written: {name: SHA-256}

    @classmethod
    def claim(cls, sweep_dir: Path, out: Path | None, names: list[str]) -> ReportDir:
        """Check that a report of ``sweep_dir`` may write the files ``names`` (and a new event file) into ``out``
        (``<sweep_dir>/report`` when None); nothing is written.

        Raises:
            RunDirInUseError: ``out`` holds another sweep's report, or one of those files (any event file) that a
                report of this sweep did not write as it is now (each named, with why).
        """
        sweep = sweep_dir.resolve()
        path = out if out is not None else default_report_dir(sweep_dir)
        record = read_record(path) if path.is_dir() else None
        own_place = path.resolve() == default_report_dir(sweep).resolve()
        if record is not None and Path(str(record["sweep"])) != sweep and not own_place:
            raise RunDirInUseError(
                f"cannot write the report of {sweep_dir} into {path}: it holds the report of another sweep, "
                f"{record['sweep']}; nothing was written. Write the report elsewhere (--out DIR), or move that report "
                "away")
        recorded = {str(name): str(digest) for name, digest in (record or {}).get("files", {}).items()}
        earlier, clashes = {}, []
        targets = set(names) | ({p.name for p in path.glob(EVENT_FILES)} if path.is_dir() else set())
        for name in sorted(targets | set(recorded)):
            file = path / name
            if not (file.exists() or file.is_symlink()):
                continue
            if name in recorded and file.is_file() and not file.is_symlink() and file_digest(file) == recorded[name]:
                earlier[name] = recorded[name]
            elif name in targets:
                why = "changed since the report wrote it" if name in recorded else "not recorded as a report's"
                clashes.append(f"{name} ({why})")
        if clashes:
            raise RunDirInUseError(
                f"cannot write the report of {sweep_dir} into {path}: it already holds {', '.join(clashes)}; "
                "nothing was written. Write the report elsewhere (--out DIR), or move those files away")
        return cls(path, sweep, earlier)

    def earlier_event_files(self) -> list[Path]:
        """The earlier report's TensorBoard event files (replaced by the new report's one)."""
        return [self.path / name for name in sorted(self.earlier) if Path(name).match(EVENT_FILES)]

    def replaces(self, path: Path) -> bool:
        """Whether writing ``path`` replaces a file of the earlier report."""
        return path.name in self.earlier

    def wrote(self, path: Path) -> None:
        """Note a file the report wrote into the directory."""
        self.files[path.name] = file_digest(path)
        self.earlier.pop(path.name, None)

    def wrote_new_event_files(self) -> None:
        """Note the report's own TensorBoard run: the event files there that are neither the earlier report's nor
        noted yet (:meth:`claim` refused a directory holding any other)."""
        for path in sorted(self.path.glob(EVENT_FILES)):
            if path.name not in self.earlier and path.name not in self.files:
                self.wrote(path)

    def removed(self, path: Path) -> None:
        """Note that a file of the earlier report is gone."""
        self.earlier.pop(path.name, None)

    def stale(self) -> list[Path]:
        """The earlier report's files the new one did not write again."""
        return [self.path / name for name in sorted(self.earlier)]

    def save(self) -> None:
        """Write the record: the files written, and those of the earlier report still there as it wrote them."""
        files = {**{name: digest for name, digest in self.earlier.items() if (self.path / name).is_file()},
                 **self.files}
        write_json_atomically(self.path / RECORD, {"sweep": os.fspath(self.sweep), "files": files})
