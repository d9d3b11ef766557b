"""A throw-away, single-node SLURM cluster on loopback, for automated tests.

Usage::

    from slurm_cluster import LocalSlurm, SlurmUnavailable

    try:
        with LocalSlurm() as slurm:
            subprocess.run(["sbatch", "--wrap", "hostname"], env=slurm.env, check=True)
    except SlurmUnavailable as exc:
        ...  # e.g. pytest.skip(str(exc))

What it does
------------
* ``LocalSlurm.__enter__`` checks the prerequisites (Linux, root, a ``munge``
  user, the munge/slurm binaries) and raises :class:`SlurmUnavailable` with a
  readable reason when one is missing.  Nothing is started in that case.
* Everything lives in one private temp dir: a fresh munge key, munged's
  socket/pid/log/seed, ``slurm.conf``, state, spool, logs and pid files.  Its
  own munged socket and two free TCP ports are used, so a system munged or a
  system slurm on the same host is left alone.
* The daemons (``munged -F``, ``slurmctld -D``, ``slurmd -D``) run in the
  foreground under a tiny Python *supervisor* process that is a Linux
  "child subreaper": it reaps the daemons and also every orphan they leave
  (slurmstepd, job processes), so no zombies pile up even on machines whose
  PID 1 does not reap (containers, micro-VMs).  The supervisor gets SIGTERM if
  the process that created it dies, and then shuts the daemons down too.
* ``__enter__`` waits (bounded) until ``scontrol ping`` reports the
  controller UP and the node is idle.  ``.env`` is ``os.environ`` without any
  inherited ``SLURM_*``/``SBATCH_*``/``SRUN_*``/``SALLOC_*`` variables, plus
  ``SLURM_CONF`` pointing at the private config, plus ``<tmp>/bin`` first on
  ``PATH``: wrappers for the slurm client commands that set ``SLURM_CONF``
  themselves.  sbatch's default ``--export=ALL`` carries both into jobs; the
  wrappers matter there because snakemake's slurm-jobstep plugin strips
  ``SLURM_CONF`` before its nested ``srun``.
* If the process that entered the context dies without leaving it, the
  supervisor notices (PR_SET_PDEATHSIG), stops everything and removes the
  temp dir itself.
* ``__exit__`` cancels remaining jobs, stops exactly the daemons it started
  (by PID, slurmd -> slurmctld -> munged), waits for them to die (SIGKILL after
  a grace period) and removes the temp dir.

Failures *after* the prerequisites were met (a daemon that will not start,
the node never becoming idle) raise :class:`SlurmStartError`, which carries
the tails of the daemon logs: those are bugs to see, not reasons to skip.

:func:`install_packages` apt-installs the Debian packages (CI set-up).
"""

from __future__ import annotations

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

__all__ = [
    "DEBIAN_PACKAGES",
    "LocalSlurm",
    "SlurmStartError",
    "SlurmUnavailable",
    "install_packages",
    "missing_prerequisites",
]

DEBIAN_PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")

# Binaries LocalSlurm needs; all live in /usr/sbin or /usr/bin on Debian.
REQUIRED_BINARIES = (
    "munged",
    "slurmctld",
    "slurmd",
    "slurmstepd",
    "scontrol",
    "sinfo",
    "squeue",
    "sbatch",
    "srun",
    "scancel",
)

# slurm-client commands wrapped in <tmp>/bin (see _write_files)
_CLIENTS = (
    "sacct", "sacctmgr", "salloc", "sattach", "sbatch", "sbcast", "scancel",
    "scontrol", "scrontab", "sdiag", "sinfo", "sprio", "squeue", "sreport",
    "srun", "sshare", "sstat", "strigger",
)
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
_CLEAN_ENV_PREFIXES = ("SLURM_", "SBATCH_", "SRUN_", "SALLOC_", "SQUEUE_")


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
        reasons.append(
            "missing binaries: " + ", ".join(missing)
            + " (Debian: apt-get install " + " ".join(DEBIAN_PACKAGES) + ")"
        )
    try:
        pwd.getpwnam("munge")
    except KeyError:
        reasons.append("no 'munge' user (installed by the Debian munge package)")
    return reasons


def install_packages(packages=DEBIAN_PACKAGES, update: bool = True) -> bool:
    """apt-get install the munge/slurm packages, for CI set-up.

    Returns True when the binaries are available afterwards (including when
    they already were), False when installing is impossible here (not root,
    no apt-get).  A failing apt-get raises subprocess.CalledProcessError.
    """
    if all(_which(b) for b in REQUIRED_BINARIES):
        return True
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    apt = _which("apt-get")
    if apt is None:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if update:
        subprocess.run([apt, "update"], check=True, env=env)
    subprocess.run(
        [apt, "install", "-y", "--no-install-recommends", *packages], check=True, env=env
    )
    return all(_which(b) for b in REQUIRED_BINARIES)


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


# The supervisor runs as `python <tmp>/supervisor.py <tmp>/supervisor.json`.
# It becomes a child subreaper, starts the daemons in order (each optionally
# waiting for a file to appear, e.g. munged's socket), writes their PIDs to a
# JSON file, then reaps children until SIGTERM (or until a daemon dies on its own).  On
# the way out it stops the daemons in reverse order by PID, waits for them,
# then kills and reaps any orphan left behind (slurmstepd, job processes).
_SUPERVISOR = r'''
import ctypes, json, os, signal, sys, time
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
spec = json.load(open(sys.argv[1]))
stop = False
def on_term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
if os.getppid() != spec["parent"]:
    stop = True                       # parent died before PDEATHSIG was armed
def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)
def reap():
    """Reap all exited children; return {pid: status}."""
    done = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done[pid] = status
def children():
    me = str(os.getpid())
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if stat[stat.rindex(")") + 2:].split()[1] == me:
                kids.append(int(entry))
    return kids
daemons = []                          # [(name, pid)] in start order
dead = {}
rc = 0
for d in spec["daemons"]:
    if stop:
        break
    def preexec(uid=d.get("uid"), gid=d.get("gid")):
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if gid is not None:
            os.setgroups([])
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)
    out = open(d["log"], "ab")
    pid = os.fork()
    if pid == 0:
        try:
            preexec()
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.execve(d["argv"][0], d["argv"], d["env"])
        except BaseException as exc:
            os.write(2, f"exec failed: {exc!r}\n".encode())
        finally:
            os._exit(127)
    out.close()
    daemons.append((d["name"], pid))
    log(f"started {d['name']} pid {pid}: {' '.join(d['argv'])}")
    with open(spec["pidfile"] + ".tmp", "w") as f:
        json.dump(dict(daemons), f)
    os.replace(spec["pidfile"] + ".tmp", spec["pidfile"])
    wait_for = d.get("wait_for")
    deadline = time.monotonic() + spec["start_timeout"]
    while wait_for and not os.path.exists(wait_for) and not stop:
        dead.update(reap())
        if pid in dead or time.monotonic() > deadline:
            log(f"{d['name']} did not create {wait_for}")
            stop, rc = True, 3
            break
        time.sleep(0.05)
if not stop:
    log("all daemons started")
while not stop:
    dead.update(reap())
    for name, pid in daemons:
        if pid in dead:
            log(f"{name} (pid {pid}) exited by itself, status {dead[pid]}; shutting down")
            stop, rc = True, 4
    time.sleep(0.1)
# ---- shutdown: daemons in reverse order, each SIGTERM then SIGKILL ----
for name, pid in reversed(daemons):
    dead.update(reap())
    if pid in dead:
        continue
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        continue
    deadline = time.monotonic() + spec["stop_timeout"]
    while pid not in dead and time.monotonic() < deadline:
        time.sleep(0.05)
        dead.update(reap())
    if pid not in dead:
        log(f"{name} (pid {pid}) ignored SIGTERM; SIGKILL")
        os.kill(pid, signal.SIGKILL)
        while pid not in dead:
            time.sleep(0.05)
            dead.update(reap())
    log(f"stopped {name} (pid {pid})")
# ---- orphans (slurmstepd, job processes) re-parented to us ----
deadline = time.monotonic() + min(5.0, spec["stop_timeout"])
while True:
    reap()
    kids = children()
    if not kids:
        break
    sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
    for pid in kids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    time.sleep(0.1)
if os.getppid() != spec["parent"] and not spec["keep_dir"]:
    import shutil                     # orphaned: nobody else will clean up
    shutil.rmtree(spec["root"], ignore_errors=True)
log("supervisor done")
sys.exit(rc)
'''


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

    def __init__(
        self,
        cpus: int | None = None,
        mem_mb: int = 4000,
        partition: str = "debug",
        start_timeout: float = 60.0,
        stop_timeout: float = 20.0,
        keep_dir: bool = False,
    ):
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
        proc = subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(
                proc.returncode, argv, proc.stdout, proc.stderr
            )
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
        for p in [
            self.root / "log" / "supervisor.log",
            self.root / "munge" / "munged.log",
            self.root / "log" / "munged.out",
            self.root / "log" / "slurmctld.log",
            self.root / "log" / "slurmctld.out",
            self.root / "log" / "slurmd.log",
            self.root / "log" / "slurmd.out",
        ]:
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
        self.conf.write_text(
            _SLURM_CONF.format(
                cluster="localslurm",
                ctld_port=ctld_port,
                slurmd_port=slurmd_port,
                munge_socket=mdir / "munge.socket",
                root=root,
                cpus=self.cpus,
                mem_mb=self.mem_mb,
                partition=self.partition,
            )
        )
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
            wrapper.write_text(
                f"#!/bin/sh\nSLURM_CONF={shlex.quote(str(self.conf))}\n"
                f"export SLURM_CONF\nexec {shlex.quote(real)} \"$@\"\n"
            )
            wrapper.chmod(0o755)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(_CLEAN_ENV_PREFIXES)
        }
        env["SLURM_CONF"] = str(self.conf)
        path = env.get("PATH", os.defpath).split(os.pathsep)
        env["PATH"] = os.pathsep.join(
            [str(bindir), *path, *[d for d in _SBIN_DIRS if d not in path]]
        )
        self.env = env

        daemon_env = dict(env)
        daemons = [
            {
                "name": "munged",
                "argv": [
                    _which("munged"),
                    "--foreground",
                    f"--socket={mdir / 'munge.socket'}",
                    f"--key-file={key}",
                    f"--pid-file={mdir / 'munged.pid'}",
                    f"--log-file={mdir / 'munged.log'}",
                    f"--seed-file={mdir / 'munged.seed'}",
                ],
                "uid": munge.pw_uid,
                "gid": munge.pw_gid,
                "log": str(root / "log" / "munged.out"),
                "wait_for": str(mdir / "munge.socket"),
                "env": {"PATH": env["PATH"]},
            },
            {
                "name": "slurmctld",
                # -D foreground, -i ignore (absent) state, -f our conf
                "argv": [_which("slurmctld"), "-D", "-i", "-f", str(self.conf)],
                "log": str(root / "log" / "slurmctld.out"),
                "env": daemon_env,
            },
            {
                "name": "slurmd",
                "argv": [_which("slurmd"), "-D", "-N", "localhost", "-f", str(self.conf)],
                "log": str(root / "log" / "slurmd.out"),
                "env": daemon_env,
            },
        ]
        spec = {
            "parent": os.getpid(),
            "daemons": daemons,
            "pidfile": str(root / "run" / "daemons.json"),
            "start_timeout": self.start_timeout,
            "stop_timeout": self.stop_timeout,
            "root": str(root),
            "keep_dir": self.keep_dir,
        }
        (root / "supervisor.json").write_text(json.dumps(spec, indent=1))
        (root / "supervisor.py").write_text(_SUPERVISOR)
        return spec

    def _start(self) -> None:
        self._write_files()
        assert self.root is not None
        with open(self.root / "log" / "supervisor.log", "ab") as log:
            self._supervisor = subprocess.Popen(
                [
                    sys.executable,
                    str(self.root / "supervisor.py"),
                    str(self.root / "supervisor.json"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.root,
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
        try:
            self.pids = json.loads((self.root / "run" / "daemons.json").read_text())
        except (OSError, ValueError):
            pass

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
            pass

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
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                sup.kill()
                sup.wait()
        if self.root is not None and not self.keep_dir:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
