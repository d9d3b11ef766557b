"""Checks of a task's own data before anything is written: each problem is one line naming the task, the file or
split, and the fix (a user's CSV folder is where a first run on one's own data fails, and the libraries' own
messages name neither)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.errors import OneLineError

CLASSES = {"binary": 2}
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(nan|inf|infinity)", re.I)


class DataError(ValueError, OneLineError):
    """A task's data cannot be used as configured; the message is one line."""


def local_csvs(name: str, spec: dict) -> None:
    """A local folder given as a hub path: every CSV in it has rows and the configured columns (datasets would say
    'Instruction "train" corresponds to no data!' or fail deep in pandas)."""
    folder = Path(spec["path"])
    if not folder.is_dir():
        return
    wanted = [spec[k] for k in ("text", "text_pair", "image", "label") if spec.get(k)]
    for path in sorted(folder.glob("*.csv")):
        try:
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise DataError(f"task {name}: {path} is empty (no header, no rows); put the split's examples in it "
                            "or remove the file") from None
        if frame.empty:
            raise DataError(f"task {name}: {path} has a header and no rows; put the split's examples in it or "
                            "remove the file")
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise DataError(f"task {name}: {path} has no column {missing[0]!r} (columns found: "
                            f"{', '.join(map(str, frame.columns))}); set tasks.{name}.hub's text/label keys to "
                            "its columns")


def columns(name: str, frame: pd.DataFrame, wanted: dict[str, str], where: str) -> None:
    """The configured columns (theirs → ours) are in a split read from a library."""
    missing = [theirs for theirs in wanted if theirs not in frame.columns]
    if missing:
        raise DataError(f"task {name}: {where} has no column {missing[0]!r} (columns found: "
                        f"{', '.join(map(str, frame.columns))}); set tasks.{name}.hub's keys to its columns")


def labels(name: str, kind: str, frames: dict[str, pd.DataFrame]) -> None:
    """Labels fit the task's kind: one type, finite regression targets, the class count `kind` implies, and no
    class seen only in the test split."""
    for split, frame in frames.items():
        if frame is None:
            continue
        if len(frame) == 0:
            raise DataError(f"task {name}: split '{split}' of the source has no examples; give it examples or "
                            "choose another split (tasks.<task>.hub.train_split / test_split)")
        values = frame["label"]
        # a CSV column that mixes numbers and words reads as text: tell the two apart by their spelling
        number = values.map(lambda v: not isinstance(v, str) or bool(NUMBER.fullmatch(v.strip())))
        if not number.all() and (number.any() or kind != "regression"):
            first = int(np.flatnonzero(~number.to_numpy())[0])
            what = "mixes numbers and words" if number.any() else "has words, not numbers,"
            raise DataError(f"task {name}: split '{split}' {what} in its labels (e.g. row {first}: "
                            f"{values.iloc[first]!r}); write every label as a class index 0..C-1"
                            + ("" if kind != "regression" else " or a number"))
        if kind == "regression":
            targets = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(targets))
            if len(bad) == 0 and len(targets) > 1 and np.ptp(targets) == 0:
                raise DataError(f"task {name}: every regression target of split '{split}' is {targets[0]:g}: a "
                                "correlation with it is undefined; give the split varied targets")
            if len(bad):
                raise DataError(f"task {name}: split '{split}' has {len(bad)} regression target(s) that are not "
                                f"finite numbers (first: row {bad[0]}, {values.iloc[bad[0]]}); drop or fix "
                                "those rows")
    if kind == "regression" or "train" not in frames:  # the class checks compare the splits with training
        return
    train = set(frames["train"]["label"])
    if kind in CLASSES and len(train) != CLASSES[kind]:
        raise DataError(f"task {name}: kind '{kind}' needs {CLASSES[kind]} classes, but the training data has "
                        f"{len(train)} ({', '.join(map(str, sorted(train, key=str)))}); set the task's kind "
                        "(tasks.<task>.hub.kind) to match")
    for split, frame in frames.items():
        unseen = sorted(set(frame["label"]) - train, key=str) if frame is not None and split != "train" else []
        if unseen:
            raise DataError(f"task {name}: label {unseen[0]!r} occurs in split '{split}' but never in training; "
                            "the model cannot learn it (fix the labels or drop those rows)")


def texts(name: str, splits: dict[str, pd.DataFrame]) -> None:
    """No empty text: it would tokenise to nothing (only the special tokens)."""
    for split, frame in splits.items():
        if frame is None or "text" not in frame:
            continue
        empty = np.flatnonzero(frame["text"].fillna("").astype(str).str.strip().eq("").to_numpy())
        if len(empty):
            raise DataError(f"task {name}: split '{split}' has {len(empty)} example(s) with empty text (first: row "
                            f"{empty[0]}); drop them")


def images(name: str, splits: dict[str, pd.DataFrame]) -> None:
    """One size and one mode (channel count) per task: the reader stores them as one array per split."""
    shapes = {np.shape(x) for frame in splits.values() if "image" in frame for x in frame["image"]}
    if len(shapes) > 1:
        raise DataError(f"task {name}: images of {len(shapes)} sizes/modes ({', '.join(map(str, sorted(shapes)[:4]))}"
                        "); resize them to one size and one mode (e.g. RGB) first")


def duplicates(name: str, splits: dict[str, pd.DataFrame]) -> int:
    """Examples found in more than one split (a warning: a test score on training examples is optimistic)."""
    def keys(frame):
        if "text" in frame:
            pair = frame["text_pair"] if "text_pair" in frame else ""
            return set((frame["text"].astype(str) + "\x1f" + pair).str.lower().str.split().str.join(" "))
        return {np.ascontiguousarray(x).tobytes() for x in frame["image"]}
    train = keys(splits["train"])
    shared = sum(len(train & keys(splits[s])) for s in ("validation", "test"))
    if shared:
        print(f"warning: task {name}: {shared} example(s) of the validation/test splits also occur in training",
              file=sys.stderr)
    return shared
