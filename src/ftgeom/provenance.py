"""Provenance stamped on every result file, and atomic writes (temp file + rename) so no partial file is left."""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ftgeom.errors import OneLineError


PACKAGES = ("ftgeom", "torch", "transformers", "datasets", "peft", "timm", "numpy", "scikit-learn", "snakemake")
REPO = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


def stamp(spec: dict, seed: int | None = None) -> dict:
    """The provenance block: hash of the job's spec (its slice of the config), seed, versions, git commit."""
    return {
        "config_hash": config_hash(spec),
        "seed": seed,
        "git_commit": git_commit(),
        "versions": versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        # Where the job ran: the allocation a scheduler gave it (threads must match the CPUs it was given).
        "slurm": {k: os.environ[f"SLURM_{k.upper()}"] for k in ("job_id", "cpus_per_task")
                  if f"SLURM_{k.upper()}" in os.environ},
    }


def config_hash(obj) -> str:
    """Stable short hash of any JSON-able object (key order does not matter)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class DiskFull(OSError, OneLineError):
    """A result could not be written for lack of space; one line naming the file (no partial file is left)."""

    def __str__(self) -> str:
        return self.strerror


def disk_full(path: str | Path) -> DiskFull:
    where = Path(path).parent
    free = shutil.disk_usage(where).free if where.exists() else 0
    return DiskFull(errno.ENOSPC, f"no space left to write {path} ({free / 2 ** 20:.1f} MiB free on its "
                                  "device): free space there, or run in a folder on a larger disk; nothing partial "
                                  "was kept")


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temp path beside `path`; rename it over `path` only if the block succeeds (a full disk: DiskFull)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise disk_full(path) from None
        raise
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:
        # torch.save and safetensors raise their own errors around the OSError: look at the cause too
        if err.errno == errno.ENOSPC and not isinstance(err, DiskFull):
            raise disk_full(path) from None
        raise
    except RuntimeError as err:  # torch.save wraps a failed write ("... file write failed")
        if _no_space(err):
            raise disk_full(path) from None
        raise
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _no_space(err: BaseException) -> bool:
    while err is not None:
        if isinstance(err, OSError) and err.errno == errno.ENOSPC or "No space left" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj: dict) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


class CorruptFile(ValueError, OneLineError):
    """A result file that cannot be read (truncated or corrupt); one line naming it and the fix."""

    def __init__(self, path: str | Path, what: str):
        super().__init__(f"{path}: {what}: the file is truncated or corrupt; delete it (or its folder) and re-run "
                         "the job that writes it")


def read_json(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise CorruptFile(path, f"not valid JSON ({err.msg} at line {err.lineno})") from None


@contextmanager
def safetensors_file(path: str | Path):
    """safetensors' safe_open of `path`, a damaged file being one CorruptFile line rather than a Rust panic."""
    from safetensors import SafetensorError, safe_open

    try:
        handle = safe_open(str(path), framework="pt")
    except (SafetensorError, OSError, ValueError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise CorruptFile(path, f"not a readable safetensors file ({str(err).splitlines()[0][:80]})") from None
    with handle as f:
        yield f


def load_safetensors(path: str | Path) -> dict:
    """Every tensor of a safetensors file (see safetensors_file)."""
    with safetensors_file(path) as f:
        return {k: f.get_tensor(k) for k in f.keys()}
