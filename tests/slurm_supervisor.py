"""Supervisor process for the daemons of tests/slurm_cluster.py (LocalSlurm).

Run as ``python slurm_supervisor.py SPEC.json``; LocalSlurm writes the spec
(daemon argv/env/uid/log, pid file, timeouts, parent PID, temp dir).  The
supervisor

* becomes a Linux child subreaper, so that it - not PID 1, which in
  containers and micro-VMs often never reaps - inherits and reaps every
  orphan the daemons leave (slurmstepd, job processes);
* asks for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so a crashed test
  run does not leave daemons behind;
* starts the daemons in order, each optionally waiting for a file to appear
  (munged's socket: slurmctld cannot authenticate before it exists), and
  publishes their PIDs as JSON so the parent can stop exactly those;
* reaps children until SIGTERM/SIGINT or until a daemon dies on its own, then
  stops the daemons in reverse order (SIGTERM, SIGKILL after a grace period),
  kills and reaps the orphans, and - if its parent is gone - removes the temp
  dir, since nobody else will.

Exit status: 0 after a requested stop, 3 when a daemon did not create its
``wait_for`` file, 4 when a daemon exited by itself.

Only the standard library is used and nothing runs on import.
"""

from __future__ import annotations

import ctypes
import contextlib
import json
import os
import shutil
import signal
import sys
import time

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def reap() -> dict[int, int]:
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


def children() -> list[int]:
    """PIDs whose parent is this process (orphans included, as subreaper)."""
    me = str(os.getpid())
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            # the command name in parentheses may itself contain spaces
            if stat[stat.rindex(")") + 2:].split()[1] == me:
                kids.append(int(entry))
    return kids


def spawn(d: dict) -> int:
    """Fork/exec one daemon with its own session, credentials and log."""

    def preexec(uid=d.get("uid"), gid=d.get("gid")):
        # own session: a Ctrl-C in the test's terminal must reach only us,
        # and we stop the daemons in order
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
    return pid


class Supervisor:
    def __init__(self, spec: dict):
        self.spec = spec
        self.stop = False
        self.rc = 0
        self.daemons: list[tuple[str, int]] = []  # in start order
        self.dead: dict[int, int] = {}

    def on_term(self, signum, frame) -> None:
        self.stop = True

    def _reap(self) -> None:
        self.dead.update(reap())

    def _write_pids(self) -> None:
        pidfile = self.spec["pidfile"]
        # atomically: the parent polls this file while we write it
        with open(pidfile + ".tmp", "w") as f:
            json.dump(dict(self.daemons), f)
        os.replace(pidfile + ".tmp", pidfile)

    def start_daemons(self) -> None:
        for d in self.spec["daemons"]:
            if self.stop:
                break
            pid = spawn(d)
            self.daemons.append((d["name"], pid))
            log(f"started {d['name']} pid {pid}: {' '.join(d['argv'])}")
            self._write_pids()
            wait_for = d.get("wait_for")
            deadline = time.monotonic() + self.spec["start_timeout"]
            while wait_for and not os.path.exists(wait_for) and not self.stop:
                self._reap()
                if pid in self.dead or time.monotonic() > deadline:
                    log(f"{d['name']} did not create {wait_for}")
                    self.stop, self.rc = True, 3
                    break
                time.sleep(0.05)
        if not self.stop:
            log("all daemons started")

    def watch(self) -> None:
        while not self.stop:
            self._reap()
            for name, pid in self.daemons:
                if pid in self.dead:
                    log(f"{name} (pid {pid}) exited by itself, status {self.dead[pid]}; shutting down")
                    self.stop, self.rc = True, 4
            time.sleep(0.1)

    def stop_daemons(self) -> None:
        # reverse order: slurmd and slurmctld still need munged while exiting
        for name, pid in reversed(self.daemons):
            self._reap()
            if pid in self.dead:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + self.spec["stop_timeout"]
            while pid not in self.dead and time.monotonic() < deadline:
                time.sleep(0.05)
                self._reap()
            if pid not in self.dead:
                log(f"{name} (pid {pid}) ignored SIGTERM; SIGKILL")
                os.kill(pid, signal.SIGKILL)
                while pid not in self.dead:
                    time.sleep(0.05)
                    self._reap()
            log(f"stopped {name} (pid {pid})")

    def kill_orphans(self) -> None:
        # slurmstepd and job processes were re-parented to us (subreaper)
        deadline = time.monotonic() + min(5.0, self.spec["stop_timeout"])
        while True:
            reap()
            kids = children()
            if not kids:
                break
            sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
            for pid in kids:
                with contextlib.suppress(ProcessLookupError):  # already gone: nothing to stop
                    os.kill(pid, sig)
            time.sleep(0.1)

    def run(self) -> int:
        self.start_daemons()
        self.watch()
        self.stop_daemons()
        self.kill_orphans()
        if os.getppid() != self.spec["parent"] and not self.spec["keep_dir"]:
            shutil.rmtree(self.spec["root"], ignore_errors=True)
        log("supervisor done")
        return self.rc


def main(argv: list[str]) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    with open(argv[1]) as f:
        sup = Supervisor(json.load(f))
    signal.signal(signal.SIGTERM, sup.on_term)
    signal.signal(signal.SIGINT, sup.on_term)
    if os.getppid() != sup.spec["parent"]:
        sup.stop = True  # the parent died before PDEATHSIG was armed
    return sup.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
