"""A throw-away, single-node SLURM cluster on loopback, for automated tests.

Usage::

    from slurm_cluster import LocalSlurm, SlurmUnavailable

    try:
        with LocalSlurm() as slurm:
            subprocess.run(["sbatch", "--output=/dev/null", "--wrap", "hostname"], env=slurm.env, check=True)
    except SlurmUnavailable as exc:
        ...  # e.g. pytest.skip(str(exc))

Needs Linux, root and the Debian packages that ``envs/system-packages.sh test`` installs (see
envs/apt-packages.txt); without them ``__enter__`` raises :class:`SlurmUnavailable` with the reason
and starts nothing.  Once they are met, a cluster that does not come up raises
:class:`SlurmStartError` with the daemon log tails: a bug to see, not a reason to skip.

Everything (munge key, slurm.conf, state, spool, logs) lives in one private temp dir, with its own
munged socket and two free TCP ports, so a system munged or slurm on the host is left alone.
``__exit__`` cancels leftover jobs, stops exactly the daemons it started and removes the temp dir.

Pitfalls this works around
--------------------------
* Zombies: ``munged -F``, ``slurmctld -D`` and ``slurmd -D`` run under tests/slurm_supervisor.py, a
  Linux "child subreaper" that reaps them and every orphan they leave (slurmstepd, job processes);
  PID 1 in containers and micro-VMs often reaps nothing.  It also gets SIGTERM when its parent
  dies, and then stops the daemons and removes the temp dir.
* SLURM_CONF: ``.env`` drops inherited ``SLURM_*``/``SBATCH_*``/``SRUN_*``/``SALLOC_*``/``SQUEUE_*``
  variables, sets ``SLURM_CONF`` and puts ``<tmp>/bin`` first on ``PATH``: wrappers for the client
  commands that set ``SLURM_CONF`` themselves.  sbatch's ``--export=ALL`` carries both into jobs;
  only the wrappers survive snakemake's slurm-jobstep plugin stripping ``SLURM_CONF`` before its
  nested ``srun``.
* munged refuses a socket unless every directory above it is world-executable (mkdtemp makes
  0700), and wants its key owned by the ``munge`` user, mode 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["LocalSlurm", "SlurmStartError", "SlurmUnavailable", "missing_prerequisites"]

# Debian puts the daemons in /usr/sbin, which a non-login PATH often lacks: see _SBIN_DIRS.
REQUIRED_BINARIES = ("munged", "slurmctld", "slurmd", "slurmstepd", "scontrol", "sinfo", "squeue", "sbatch", "srun",
                     "scancel")

# slurm-client commands wrapped in <tmp>/bin (see _write_files)
_CLIENTS = ("sacct", "sacctmgr", "salloc", "sattach", "sbatch", "sbcast", "scancel", "scontrol", "scrontab", "sdiag",
            "sinfo", "sprio", "squeue", "sreport", "srun", "sshare", "sstat", "strigger")
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
_CLEAN_ENV_PREFIXES = ("SLURM_", "SBATCH_", "SRUN_", "SALLOC_", "SQUEUE_")
# A program of its own, not a thread or fork of the test process: it must outlive a crashed test
# run long enough to stop the daemons.
SUPERVISOR = Path(__file__).resolve().parent / "slurm_supervisor.py"


class SlurmUnavailable(Exception):
    """A prerequisite for a local SLURM cluster is missing (skip, not fail)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SlurmStartError(RuntimeError):
    """Prerequisites were met, but the local cluster did not come up."""


def _which(name: str) -> str | None:
    path = os.environ.get("PATH", os.defpath)
    extra = [d for d in _SBIN_DIRS if d not in path.split(os.pathsep)]
    return shutil.which(name, path=os.pathsep.join([path, *extra]))


def missing_prerequisites() -> list[str]:
    """Reasons why LocalSlurm cannot run here ([] when it can)."""
    reasons = []
    if not sys.platform.startswith("linux"):
        reasons.append(f"needs Linux (this is {sys.platform})")
    elif os.geteuid() != 0:
        reasons.append("needs root (slurmd and munged must be started as root)")
    missing = [b for b in REQUIRED_BINARIES if _which(b) is None]
    if missing:
        reasons.append("missing binaries: " + ", ".join(missing) + " (as root: envs/system-packages.sh test)")
    try:
        pwd.getpwnam("munge")
    except KeyError:
        reasons.append("no 'munge' user (installed by the Debian munge package)")
    return reasons


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: Path, n: int = 25) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"  ({path.name}: not readable)"
    return "\n".join(f"  {line}" for line in lines[-n:]) or f"  ({path.name}: empty)"


_SLURM_CONF = """\
# Written by tests/slurm_cluster.py: single node on loopback, no accounting.
ClusterName={cluster}
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobContainerType=job_container/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
PlugStackConfig={root}/plugstack.conf
# Keep finished jobs visible to `squeue --states=all` (snakemake's
# slurm-status-command: squeue relies on it; there is no sacct here).
MinJobAge=600
ReturnToService=2
# Trust CPUs/RealMemory below even if the host has fewer (no DRAIN).
SlurmdParameters=config_overrides
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName={partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """Context manager running munged + slurmctld + slurmd on loopback.

    Attributes once entered: ``root`` (temp dir), ``conf`` (slurm.conf path),
    ``env`` (environment for subprocesses), ``pids`` ({daemon: pid}),
    ``partition``, ``cpus``, ``mem_mb``.
    """

    def __init__(self, cpus: int | None = None, mem_mb: int = 4000, partition: str = "debug",
                 start_timeout: float = 60.0, stop_timeout: float = 20.0, keep_dir: bool = False):
        self.cpus = cpus or os.cpu_count() or 1
        self.mem_mb = mem_mb
        self.partition = partition
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.keep_dir = keep_dir
        self.root: Path | None = None
        self.conf: Path | None = None
        self.env: dict[str, str] = {}
        self.pids: dict[str, int] = {}
        self._supervisor: subprocess.Popen | None = None

    # -- public helpers -------------------------------------------------
    def run(self, *argv: str, check: bool = True, timeout: float = 30.0):
        """Run a slurm client command against this cluster; return stdout."""
        proc = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, argv, proc.stdout, proc.stderr)
        return proc.stdout

    def is_up(self) -> bool:
        try:
            out = self.run("scontrol", "ping", check=False, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return " is UP" in out

    def node_state(self) -> str:
        try:
            out = self.run("sinfo", "-h", "-N", "-o", "%T", check=False, timeout=10)
        except subprocess.TimeoutExpired:
            return ""
        return out.strip()

    def logs(self, n: int = 25) -> str:
        """Tails of all daemon logs, for error messages."""
        if self.root is None:
            return ""
        parts = []
        for name in ("log/supervisor.log", "munge/munged.log", "log/munged.out", "log/slurmctld.log",
                     "log/slurmctld.out", "log/slurmd.log", "log/slurmd.out"):
            p = self.root / name
            if p.exists():
                parts.append(f"--- {p}\n{_tail(p, n)}")
        return "\n".join(parts)

    # -- context manager -------------------------------------------------
    def __enter__(self) -> "LocalSlurm":
        reasons = missing_prerequisites()
        if reasons:
            raise SlurmUnavailable("; ".join(reasons))
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop()

    # -- internals --------------------------------------------------------
    def _write_files(self) -> dict:
        root = Path(tempfile.mkdtemp(prefix="localslurm-"))
        self.root = root
        # munged insists that every directory above its socket is
        # world-executable, mkdtemp makes 0700.
        root.chmod(0o755)
        for sub in ("state", "spool", "run", "log"):
            (root / sub).mkdir()
        munge = pwd.getpwnam("munge")
        mdir = root / "munge"
        mdir.mkdir(mode=0o755)
        os.chown(mdir, munge.pw_uid, munge.pw_gid)
        key = mdir / "munge.key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(128))  # same size as `mungekey --create`
        os.chown(key, munge.pw_uid, munge.pw_gid)

        ctld_port, slurmd_port = _free_ports(2)
        self.conf = root / "slurm.conf"
        (root / "plugstack.conf").write_text("")
        self.conf.write_text(_SLURM_CONF.format(
            cluster="localslurm", ctld_port=ctld_port, slurmd_port=slurmd_port, munge_socket=mdir / "munge.socket",
            root=root, cpus=self.cpus, mem_mb=self.mem_mb, partition=self.partition,
        ))
        # Client wrappers that pin SLURM_CONF: snakemake-executor-plugin-
        # slurm-jobstep (0.6.1) deletes every SLURM_* variable except the job
        # identity ones (SLURM_CONF included) before its nested `srun`, so
        # inside a job only the PATH can point the clients at this cluster.
        bindir = root / "bin"
        bindir.mkdir()
        for name in _CLIENTS:
            real = _which(name)
            if real is None:
                continue
            wrapper = bindir / name
            wrapper.write_text(f"#!/bin/sh\nSLURM_CONF={shlex.quote(str(self.conf))}\n"
                               f"export SLURM_CONF\nexec {shlex.quote(real)} \"$@\"\n")
            wrapper.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEAN_ENV_PREFIXES)}
        env["SLURM_CONF"] = str(self.conf)
        path = env.get("PATH", os.defpath).split(os.pathsep)
        env["PATH"] = os.pathsep.join([str(bindir), *path, *[d for d in _SBIN_DIRS if d not in path]])
        self.env = env

        daemon_env = dict(env)
        daemons = [
            {
                "name": "munged",
                "argv": [_which("munged"), "--foreground", f"--socket={mdir / 'munge.socket'}", f"--key-file={key}",
                         f"--pid-file={mdir / 'munged.pid'}", f"--log-file={mdir / 'munged.log'}",
                         f"--seed-file={mdir / 'munged.seed'}"],
                "uid": munge.pw_uid,
                "gid": munge.pw_gid,
                "log": str(root / "log" / "munged.out"),
                # slurmctld cannot authenticate anything before the socket exists
                "wait_for": str(mdir / "munge.socket"),
                "env": {"PATH": env["PATH"]},
            },
            # -i: the state dir starts empty, so there are no state files to recover
            {"name": "slurmctld", "argv": [_which("slurmctld"), "-D", "-i", "-f", str(self.conf)],
             "log": str(root / "log" / "slurmctld.out"), "env": daemon_env},
            {"name": "slurmd", "argv": [_which("slurmd"), "-D", "-N", "localhost", "-f", str(self.conf)],
             "log": str(root / "log" / "slurmd.out"), "env": daemon_env},
        ]
        spec = {
            "parent": os.getpid(), "daemons": daemons, "pidfile": str(root / "run" / "daemons.json"),
            "start_timeout": self.start_timeout, "stop_timeout": self.stop_timeout,
            "root": str(root), "keep_dir": self.keep_dir,
        }
        (root / "supervisor.json").write_text(json.dumps(spec, indent=1))
        return spec

    def _start(self) -> None:
        self._write_files()
        assert self.root is not None
        with open(self.root / "log" / "supervisor.log", "ab") as log:
            self._supervisor = subprocess.Popen(
                [sys.executable, str(SUPERVISOR), str(self.root / "supervisor.json")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.root,
            )
        deadline = time.monotonic() + self.start_timeout
        state = ""
        while True:
            if self._supervisor.poll() is not None:
                raise SlurmStartError(
                    f"local SLURM daemons exited during start-up "
                    f"(supervisor rc {self._supervisor.returncode}):\n{self.logs()}"
                )
            self._read_pids()
            if len(self.pids) == 3 and self.is_up():
                state = self.node_state()
                if state == "idle":
                    return
            if time.monotonic() > deadline:
                raise SlurmStartError(
                    f"local SLURM not ready after {self.start_timeout:.0f} s "
                    f"(daemons {self.pids}, node state {state!r}):\n{self.logs()}"
                )
            time.sleep(0.2)

    def _read_pids(self) -> None:
        assert self.root is not None
        # Not written yet (the supervisor is still starting): keep what we knew.
        with contextlib.suppress(OSError, ValueError):
            self.pids = json.loads((self.root / "run" / "daemons.json").read_text())

    def _cancel_all_jobs(self) -> None:
        """Cancel leftover jobs so slurmd can clean up before it stops."""
        try:
            if not self.is_up():
                return
            ids = self.run("squeue", "-h", "-o", "%i", "-t", "PD,R,S,CG", check=False).split()
            if not ids:
                return
            self.run("scancel", *ids, check=False)
            deadline = time.monotonic() + self.stop_timeout
            while time.monotonic() < deadline:
                if not self.run("squeue", "-h", "-o", "%i", "-t", "PD,R,S,CG", check=False).split():
                    return
                time.sleep(0.5)
        except (OSError, subprocess.SubprocessError):
            return  # best effort: stopping the daemons below ends any job anyway

    def _stop(self) -> None:
        sup, self._supervisor = self._supervisor, None
        if sup is not None:
            if sup.poll() is None:
                self._cancel_all_jobs()
                sup.send_signal(signal.SIGTERM)
            try:
                # supervisor: up to stop_timeout per daemon plus the orphans
                sup.wait(timeout=4 * self.stop_timeout + 10)
            except subprocess.TimeoutExpired:
                # should not happen; do not leave daemons behind regardless
                self._read_pids()
                for pid in self.pids.values():
                    with contextlib.suppress(ProcessLookupError):  # already gone: nothing to stop
                        os.kill(pid, signal.SIGKILL)
                sup.kill()
                sup.wait()
        if self.root is not None and not self.keep_dir:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
