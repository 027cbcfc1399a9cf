"""The processes a process started, and theirs: what a command that stops at once ends with it.

Read from ``/proc`` (Linux) or, where there is none, from ``ps``; standard library only.
"""

from __future__ import annotations

import os
import subprocess


def parent_ids() -> dict[int, int]:
    """Every visible process's id and its parent's id."""
    parents: dict[int, int] = {}
    if os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                    # "<pid> (<command, which may hold spaces and parentheses>) <state> <ppid> ..."
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:  # ended while we looked
                continue
            parents[int(entry)] = int(fields[1])
        return parents
    listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        pid, ppid = line.split()
        parents[int(pid)] = int(ppid)
    return parents


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, the ones they started, and so on (children first), as they are now."""
    children: dict[int, list[int]] = {}
    for child, parent in parent_ids().items():
        children.setdefault(parent, []).append(child)
    found, level = [], children.get(pid, [])
    while level:
        found.extend(level)
        level = [grandchild for child in level for grandchild in children.get(child, [])]
    return found


def command_line(pid: int) -> str:
    """The process's command line ('' where it cannot be read: ended, or no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
