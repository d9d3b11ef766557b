"""Fail fast, with one line, when an asset needs the Hugging Face hub and the hub cannot be reached.

Without this, transformers/datasets/timm retry for about 70 s and then print their own multi-line errors.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

OFFLINE_HINT = "run the embedded offline default instead (config/default.yaml, no --configfile)"


class AssetUnavailable(RuntimeError):
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


def require_hub(what: str, name: str, load_cached=None):
    """None if `name` is a local folder or the hub is reachable (the caller then loads it); the cached asset if
    `load_cached()` finds one without the network; else AssetUnavailable. `what` names the asset in the message."""
    if Path(name).exists():
        return None
    if load_cached is not None:
        try:
            found = load_cached()
            if found is not None:
                return found
        except Exception:  # not in the local cache: fall through to the network check
            pass
    if offline_flag():
        raise AssetUnavailable(f"{what} needs the Hugging Face hub, but HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set "
                               f"and it is not cached; {OFFLINE_HINT}")
    if not hub_reachable():
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise AssetUnavailable(f"{what} needs the Hugging Face hub, which is unreachable from here ({endpoint}); "
                               f"{OFFLINE_HINT} (if it is in your Hugging Face cache, set HF_HUB_OFFLINE=1)")
    return None
