"""Fail fast, with one line, when an asset needs the Hugging Face hub and the hub cannot be reached.

Without this, transformers/datasets/timm retry for about 70 s and then print their own multi-line errors.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from ftgeom.errors import OneLineError

OFFLINE_HINT = "run the embedded offline default instead (config/default.yaml, no --configfile)"


class AssetUnavailable(RuntimeError, OneLineError):
    """An asset cannot be obtained here; the message is one line naming it."""


def offline_flag() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """A TCP connection to the hub endpoint (HF_ENDPOINT, default huggingface.co:443) within timeout_s."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def hub_load(what: str, name: str, load):
    """`load()` an asset named `name` that may come from the hub, failing fast with one line when it cannot.

    A local folder or file loads directly. In offline mode (HF_HUB_OFFLINE etc.) the libraries read only their
    cache, quickly; a miss becomes one line. Otherwise the hub must answer a TCP connection within seconds before
    the libraries are let loose (they would retry for about 70 s). `what` names the asset in the message.
    """
    if Path(name).exists():
        return load()
    if offline_flag():
        try:
            return load()
        except Exception as err:  # the libraries' own multi-line errors; ours names the asset
            raise AssetUnavailable(f"{what} is not in the local Hugging Face cache and HF_HUB_OFFLINE/"
                                   f"HF_DATASETS_OFFLINE is set; {OFFLINE_HINT}") from err
    if not hub_reachable():
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise AssetUnavailable(f"{what} needs the Hugging Face hub, which is unreachable from here ({endpoint}); "
                               f"{OFFLINE_HINT} (if it is in your Hugging Face cache, set HF_HUB_OFFLINE=1)")
    return load()
