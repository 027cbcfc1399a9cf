"""A fake SLURM for tests: the commands submitit's ``SlurmExecutor`` calls, running every job on this machine.

    FAKE_SLURM_DIR=/tmp/state PATH=tests/fake_slurm/bin:$PATH python train.py -m ... hydra/launcher=submitit_slurm

``tests/fake_slurm/bin/`` holds ``sbatch``, ``srun``, ``sacct``, ``scancel`` and ``scontrol``, each a two-line shell
script that runs this file (with ``$FAKE_SLURM_PYTHON``, else ``python3``; only the standard library is used). The
state lives in ``$FAKE_SLURM_DIR``: one JSON file per job (an array task counts as a job, ``<array id>_<index>``),
a counter of job ids, and each submission's runner: its process id (``runner-<id>.pid``) and its own errors
(``runner-<id>.log``). ``fake_slurm.py _cleanup`` ends whatever is still running (a test fixture's teardown).

What is emulated, as submitit 1.5 uses it (submitit/slurm/slurm.py):

* ``sbatch <script>`` reads the script's ``#SBATCH`` lines (``--array=0-N%P``, ``--nodes``, ``--ntasks-per-node``,
  ``--job-name``, ``--output``/``--error``), prints ``Submitted batch job <id>`` and starts a runner in the
  background (a new session: not in the submitting command's process group, as on a cluster). The runner runs the
  script with ``bash`` for each task, at most P at a time, with the batch variables set (``SLURM_JOB_ID``,
  ``SLURM_ARRAY_JOB_ID``/``SLURM_ARRAY_TASK_ID``, ``SLURM_JOB_NUM_NODES``, ``SLURM_NTASKS``,
  ``SLURM_JOB_NODELIST``, ``SLURM_RESTART_COUNT``, ...) on top of the submitting environment (``--export=ALL``).
  The batch script's own output goes to its ``--output``/``--error`` files.
* ``srun [--unbuffered] [--output F] [--error F] cmd ...`` (inside a batch script) starts ``SLURM_NTASKS`` copies of
  ``cmd``, each with ``SLURM_PROCID``, ``SLURM_LOCALID``, ``SLURM_NODEID``, ``SLURM_STEP_*``, its output appended to
  ``F`` with ``%j %A %a %t %n %N %%`` expanded; it hands on the signals it receives to them and exits with the first
  failing task's status.
* ``sacct -o JobID,State,... --parsable2 -j <id> [-j <id>]``: one line per job (array tasks one by one, no step
  lines), states PENDING, RUNNING, COMPLETED, FAILED (a non-zero exit), CANCELLED, REQUEUED.
* ``scancel <id>`` (an array id: all its tasks) ends the job's processes (SIGTERM, SIGKILL 2 s later) or keeps a
  pending one from starting; ``scancel --signal=SIG <id>`` sends SIG to the job's tasks (the batch shell too with
  ``--batch``/``--full``), as ``Job._interrupt`` does.
* ``scontrol requeue <id>``: once the job's processes have ended (submitit's handler exits right after calling it),
  the runner starts it again under the same id, ``SLURM_RESTART_COUNT`` one higher; sacct says REQUEUED meanwhile.

What it does not emulate: partitions, resources (GPUs, memory, CPUs: every task sees the whole machine), several
nodes (every "node" is this machine, ``localhost``), time limits (``--time`` is not enforced and ``--signal=USR2@s``
is never sent: send the signal yourself, ``scancel --signal``), the scheduler's order and priorities, killing a job
that ``scontrol requeue`` names (it waits for the job to end), ``squeue``/``sinfo``/``salloc`` and any option not
listed above (ignored). It is test infrastructure: the state directory is the only bookkeeping, guarded by one lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HOST = "localhost"
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT, signal.SIGHUP)
DONE = ("COMPLETED", "FAILED", "CANCELLED")


def state_dir() -> Path:
    path = os.environ.get("FAKE_SLURM_DIR")
    if not path:
        sys.exit("fake SLURM: set FAKE_SLURM_DIR to a directory for its state")
    Path(path, "jobs").mkdir(parents=True, exist_ok=True)
    return Path(path)


@contextmanager
def locked():
    with open(state_dir() / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def job_file(key: str) -> Path:
    return state_dir() / "jobs" / f"{key}.json"


def read_job(key: str) -> dict:
    return json.loads(job_file(key).read_text())


def write_job(job: dict) -> None:
    temporary = job_file(job["key"]).with_suffix(".tmp")
    temporary.write_text(json.dumps(job, indent=1))
    temporary.replace(job_file(job["key"]))


def update_job(key: str, **changes) -> dict:
    with locked():
        job = read_job(key)
        job.update(changes)
        write_job(job)
        return job


def all_jobs() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((state_dir() / "jobs").glob("*.json"))]


def matching(ids: list[str]) -> list[dict]:
    """The jobs ``ids`` name: ``<id>`` names a plain job or every task of an array, ``<id>_<index>`` one task."""
    wanted = set(ids)
    return [job for job in all_jobs() if job["key"] in wanted or job["array_job_id"] in wanted]


def sbatch_options(script: str) -> dict[str, str]:
    options = {}
    for line in script.splitlines():
        if match := re.match(r"#SBATCH\s+--([\w-]+)(?:=(.*))?$", line.strip()):
            options[match.group(1)] = (match.group(2) or "true").strip("'\"")
    return options


def expand(pattern: str, env: dict[str, str], task: int = 0) -> str:
    """A filename pattern of sbatch/srun: %j job id, %A array job id, %a array index, %t task, %n node, %N host."""
    values = {"j": env["SLURM_JOB_ID"], "A": env.get("SLURM_ARRAY_JOB_ID", env["SLURM_JOB_ID"]),
              "a": env.get("SLURM_ARRAY_TASK_ID", "4294967294"), "t": str(task),
              "n": env.get("SLURM_NODEID", "0"), "N": HOST, "%": "%"}
    return re.sub(r"%([jAatnN%])", lambda match: values[match.group(1)], pattern)


# --- sbatch and its runner ------------------------------------------------------------------------------------------

def sbatch(args: list[str]) -> int:
    script_path = Path(next(arg for arg in args if not arg.startswith("-"))).resolve()
    options = sbatch_options(script_path.read_text())
    indices, parallel = [None], 1
    if "array" in options:
        first, _, last = options["array"].partition("%")[0].partition("-")
        indices = list(range(int(first), int(last or first) + 1))
        parallel = int(options["array"].partition("%")[2] or len(indices))
    with locked():
        counter = state_dir() / "next_id"
        array_id = int(counter.read_text()) if counter.exists() else 1000
        counter.write_text(str(array_id + len(indices)))
        for number, index in enumerate(indices):
            write_job({"key": str(array_id) if index is None else f"{array_id}_{index}", "array_job_id": str(array_id),
                       "job_id": str(array_id + number), "index": index, "state": "PENDING", "restarts": 0,
                       "requeue": False, "script": str(script_path), "options": options, "cwd": os.getcwd(),
                       "batch_pid": None, "task_pids": [], "exit_code": None})
    with open(state_dir() / f"runner-{array_id}.log", "ab") as log:
        runner = subprocess.Popen([sys.executable, __file__, "_run", str(array_id), str(parallel)],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (state_dir() / f"runner-{array_id}.pid").write_text(str(runner.pid))
    print(f"Submitted batch job {array_id}")
    return 0


def batch_environment(job: dict) -> dict[str, str]:
    options = job["options"]
    nodes = int(options.get("nodes", 1))
    per_node = int(options.get("ntasks-per-node", 1))
    env = {**os.environ, "SLURM_JOB_ID": job["job_id"], "SLURM_JOBID": job["job_id"],
           "SLURM_JOB_NAME": options.get("job-name", Path(job["script"]).name), "SLURM_SUBMIT_DIR": job["cwd"],
           "SLURM_SUBMIT_HOST": socket.gethostname(), "SLURM_CLUSTER_NAME": "fake",
           "SLURM_JOB_NUM_NODES": str(nodes), "SLURM_NNODES": str(nodes), "SLURM_JOB_NODELIST": HOST,
           "SLURM_NODELIST": HOST, "SLURMD_NODENAME": HOST, "SLURM_NODEID": "0",
           "SLURM_NTASKS": str(nodes * per_node), "SLURM_NPROCS": str(nodes * per_node),
           "SLURM_NTASKS_PER_NODE": str(per_node), "SLURM_TASKS_PER_NODE": f"{per_node}(x{nodes})",
           "SLURM_RESTART_COUNT": str(job["restarts"])}
    if "cpus-per-task" in options:
        env["SLURM_CPUS_PER_TASK"] = options["cpus-per-task"]
    if "partition" in options:
        env["SLURM_JOB_PARTITION"] = options["partition"]
    if job["index"] is not None:
        env.update(SLURM_ARRAY_JOB_ID=job["array_job_id"], SLURM_ARRAY_TASK_ID=str(job["index"]))
    return env


#: how long a job waits in the queue for the directory of its output files (submitit makes it once sbatch has
#: answered with the job's id; a real queue starts a job later than that, this runner at once)
OUTPUT_DIR_WAIT_S = 60.0


def start(key: str) -> subprocess.Popen | None:
    """Start a job's batch script, once the directories of its output files exist; a job whose directories never
    appear fails, as SLURM fails a job that cannot open its output (None: recorded FAILED)."""
    job = read_job(key)
    env = batch_environment(job)
    output = expand(job["options"].get("output", "slurm-%j.out"), env)
    error = expand(job["options"]["error"], env) if "error" in job["options"] else output
    deadline = time.monotonic() + OUTPUT_DIR_WAIT_S
    while not all(Path(path).parent.is_dir() for path in (output, error)):
        if time.monotonic() > deadline:
            update_job(key, state="FAILED", exit_code="1:0")
            return None
        time.sleep(0.05)
    with open(output, "ab") as out, open(error, "ab") as err:
        process = subprocess.Popen(["bash", job["script"]], cwd=job["cwd"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, start_new_session=True)
    update_job(key, state="RUNNING", batch_pid=process.pid, task_pids=[], exit_code=None)
    return process


def finish(key: str, returncode: int) -> bool:
    """Record how a job's batch script ended; True when it was requeued (to be started again)."""
    with locked():
        job = read_job(key)
        job.update(batch_pid=None, task_pids=[])
        if job["requeue"]:
            job.update(state="PENDING", requeue=False, restarts=job["restarts"] + 1)
        elif job["state"] != "CANCELLED":
            job.update(state="COMPLETED" if returncode == 0 else "FAILED")
        job["exit_code"] = f"{returncode % 256 if returncode >= 0 else 0}:{-returncode if returncode < 0 else 0}"
        write_job(job)
        return job["state"] == "PENDING"


def run(array_id: str, parallel: str) -> int:
    """The runner of one submission: start its pending tasks, at most ``parallel`` at a time, until all ended."""
    queue = [job["key"] for job in matching([array_id])]
    running: dict[str, subprocess.Popen] = {}
    while queue or running:
        for key in list(queue):
            if len(running) >= int(parallel):
                break
            queue.remove(key)
            if read_job(key)["state"] == "PENDING" and (process := start(key)) is not None:
                running[key] = process
        for key, process in list(running.items()):
            if process.poll() is not None:
                del running[key]
                if finish(key, process.returncode):
                    queue.append(key)
        time.sleep(0.1)
    return 0


# --- srun -----------------------------------------------------------------------------------------------------------

def srun(args: list[str]) -> int:
    output = error = None
    while args and args[0].startswith("-"):
        option = args.pop(0)
        name, _, value = option.partition("=")
        if name in ("--output", "-o", "--error", "-e") and not value:
            value = args.pop(0)
        if name in ("--output", "-o"):
            output = value
        elif name in ("--error", "-e"):
            error = value
    env = dict(os.environ)
    if "SLURM_JOB_ID" not in env:
        sys.exit("fake srun: only inside a job of the fake sbatch (no SLURM_JOB_ID)")
    ntasks, per_node = int(env.get("SLURM_NTASKS", 1)), int(env.get("SLURM_NTASKS_PER_NODE", 1))
    processes = []
    for rank in range(ntasks):
        task_env = {**env, "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank % per_node),
                    "SLURM_NODEID": str(rank // per_node), "SLURM_STEP_ID": "0", "SLURM_STEPID": "0",
                    "SLURM_STEP_NODELIST": HOST, "SLURM_STEP_NUM_NODES": env.get("SLURM_JOB_NUM_NODES", "1"),
                    "SLURM_STEP_NUM_TASKS": str(ntasks), "SLURM_STEP_TASKS_PER_NODE": str(per_node)}
        out = open(expand(output, task_env, rank), "ab") if output else None  # noqa: SIM115 - closed below
        err = open(expand(error, task_env, rank), "ab") if error else out  # noqa: SIM115
        processes.append(subprocess.Popen(args, env=task_env, stdout=out, stderr=err))
        for handle in {out, err} - {None}:
            handle.close()
    key = env["SLURM_JOB_ID"] if "SLURM_ARRAY_JOB_ID" not in env else \
        f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
    update_job(key, task_pids=[process.pid for process in processes])

    def hand_on(signum, _frame):
        for process in processes:
            if process.poll() is None:
                process.send_signal(signum)

    for signum in FORWARDED:
        signal.signal(signum, hand_on)
    codes = [process.wait() for process in processes]
    failed = next((code for code in codes if code != 0), 0)
    return 128 - failed if failed < 0 else failed


# --- sacct, scancel, scontrol ---------------------------------------------------------------------------------------

def sacct(args: list[str]) -> int:
    fields, ids, parsable, header = ["JobID", "JobName", "State", "ExitCode"], [], False, True
    while args:
        option = args.pop(0)
        name, _, value = option.partition("=")
        if name in ("-o", "--format", "-j", "--jobs") and not value:
            value = args.pop(0)
        if name in ("-o", "--format"):
            fields = value.split(",")
        elif name in ("-j", "--jobs"):
            ids += value.split(",")
        elif name in ("-p", "--parsable", "-P", "--parsable2"):
            parsable = True
        elif name in ("-n", "--noheader"):
            header = False
    jobs = matching(ids) if ids else all_jobs()
    columns = {"JobID": lambda job: job["key"], "JobIDRaw": lambda job: job["job_id"],
               "State": lambda job: "REQUEUED" if job["requeue"] else job["state"],
               "NodeList": lambda job: "None assigned" if job["state"] == "PENDING" else HOST,
               "JobName": lambda job: job["options"].get("job-name", ""),
               "ExitCode": lambda job: job["exit_code"] or "0:0", "Restarts": lambda job: str(job["restarts"])}
    rows = ([fields] if header else []) + [[columns.get(field, lambda _: "")(job) for field in fields] for job in jobs]
    for row in rows:
        print("|".join(row) if parsable else "  ".join(f"{cell:<12}" for cell in row))
    return 0


def send(pids: list[int], signum: int, group: bool = False) -> None:
    for pid in pids:
        try:
            os.killpg(pid, signum) if group else os.kill(pid, signum)
        except ProcessLookupError:
            pass


def scancel(args: list[str]) -> int:
    signum, batch, steps, ids = None, False, True, []
    while args:
        option = args.pop(0)
        name, _, value = option.partition("=")
        if name in ("-s", "--signal") and not value:
            value = args.pop(0)
        if name in ("-s", "--signal"):
            signum = getattr(signal, value if value.startswith("SIG") else f"SIG{value}", None) or int(value)
        elif name in ("-b", "--batch"):
            batch, steps = True, False
        elif name in ("-f", "--full"):
            batch = True
        elif not name.startswith("-"):
            ids.append(option)
    for job in matching(ids):
        if signum is not None:
            send(job["task_pids"] if steps else [], signum)
            send([job["batch_pid"]] if batch and job["batch_pid"] else [], signum)
            continue
        job = update_job(job["key"], state="CANCELLED", requeue=False)
        if job["batch_pid"]:
            send([job["batch_pid"]], signal.SIGTERM, group=True)
            time.sleep(2)
            send([job["batch_pid"]], signal.SIGKILL, group=True)
    return 0


def scontrol(args: list[str]) -> int:
    if not args or args[0] != "requeue":
        print(f"fake scontrol: only 'scontrol requeue <job id>' is emulated, not {' '.join(args)!r}", file=sys.stderr)
        return 1
    for job in matching(",".join(args[1:]).split(",")):
        if job["state"] not in DONE:
            update_job(job["key"], requeue=True)
    return 0


def cleanup(_args: list[str]) -> int:
    """End what is still running (a test's teardown): the runners of unfinished submissions (each in a session of
    its own) and the process groups of their running jobs."""
    unfinished = [job for job in all_jobs() if job["state"] not in DONE or job["requeue"]]
    for job in unfinished:
        send([job["batch_pid"]] if job["batch_pid"] else [], signal.SIGKILL, group=True)
    for array_id in {job["array_job_id"] for job in unfinished}:
        pid_file = state_dir() / f"runner-{array_id}.pid"
        send([int(pid_file.read_text())] if pid_file.exists() else [], signal.SIGKILL, group=True)
    return 0


COMMANDS = {"sbatch": sbatch, "srun": srun, "sacct": sacct, "scancel": scancel, "scontrol": scontrol,
            "_cleanup": cleanup}

if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    sys.exit(run(*arguments) if command == "_run" else COMMANDS[command](arguments))
