"""Task data in one schema: fixed, seeded train/validation/test splits saved with `datasets.save_to_disk`.

Text tasks: columns text, [text_pair], label.  Image tasks: image (uint8 H x W x C), label.
Classification labels are ClassLabel (0..C-1); regression labels float32.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

SPLITS = ("train", "validation", "test")


def _split(df: pd.DataFrame, size, seed: int, stratify: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off `size` rows (fraction or count), stratified by label where every class can be split."""
    labels = df["label"] if stratify and df["label"].value_counts().min() >= 2 else None
    try:
        a, b = train_test_split(df, test_size=size, random_state=seed, stratify=labels)
    except ValueError:  # a class too small for the requested stratified size
        a, b = train_test_split(df, test_size=size, random_state=seed)
    return a, b


def _cap(df: pd.DataFrame, n: int | None, seed: int, stratify: bool) -> pd.DataFrame:
    if n is None or len(df) <= n:
        return df
    return _split(df, n, seed, stratify)[1]


def make_splits(frames: dict[str, pd.DataFrame], kind: str, sizes: dict, seed: int) -> dict[str, pd.DataFrame]:
    """Official test split if the source has one, else a held-out fraction; validation always from train."""
    stratify = kind != "regression"
    train = frames["train"]
    test = frames.get("test")
    if test is None:
        train, test = _split(train, sizes.get("test_fraction", 0.1), seed, stratify)
    train, validation = _split(train, sizes.get("validation_fraction", 0.1), seed + 1, stratify)
    out = {
        "train": _cap(train, sizes.get("max_train"), seed + 2, stratify),
        "validation": _cap(validation, sizes.get("max_validation"), seed + 3, stratify),
        "test": _cap(test, sizes.get("max_test"), seed + 4, stratify),
    }
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def synthetic_frames(spec: dict, seed: int) -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    """Learnable toy data for tests: the label is carried by keywords (text) or a bright quadrant (image)."""
    rng = np.random.default_rng(seed)
    kind, n, modality = spec.get("kind", "binary"), spec.get("size", 256), spec.get("modality", "text")
    num_labels = 2 if kind == "binary" else spec.get("num_labels", 3)
    filler = "the a of and to in is was it that for on with as this film story place day".split()
    keywords = ["good", "bad", "sport", "music", "science", "money", "health", "travel"]
    rows = []
    for _ in range(n):
        y = int(rng.integers(num_labels))
        if modality == "image":
            img = rng.integers(0, 60, size=(16, 16, 1), dtype=np.uint8)
            r, c = divmod(y % 4, 2)
            img[r * 8:(r + 1) * 8, c * 8:(c + 1) * 8] += 150
            rows.append({"image": img, "label": y})
            continue
        words = list(rng.choice(filler, size=int(rng.integers(4, 12))))
        if kind == "regression":
            k = int(rng.integers(0, 4))
            words += ["good"] * k
            rows.append({"text": " ".join(rng.permutation(words)), "label": float(k)})
            continue
        words.insert(int(rng.integers(len(words) + 1)), keywords[y % len(keywords)])
        rows.append({"text": " ".join(words), "label": y})
    names = () if kind == "regression" else tuple(f"class{i}" for i in range(num_labels))
    return kind, names, {"train": pd.DataFrame(rows)}


def hub_frames(spec: dict) -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    """`datasets.load_dataset` (a hub name such as nyu-mll/glue, or a local folder) mapped onto our schema."""
    import datasets

    ds = datasets.load_dataset(spec["path"], spec.get("name"))
    columns = {spec["text"]: "text", spec["label"]: "label"}
    if spec.get("text_pair"):
        columns[spec["text_pair"]] = "text_pair"
    frames = {}
    for ours, theirs in (("train", spec.get("train_split", "train")), ("test", spec.get("test_split", "validation"))):
        if theirs not in ds:
            raise KeyError(f"dataset {spec['path']}/{spec.get('name')} has no split '{theirs}' (has: {list(ds)})")
        df = ds[theirs].to_pandas()[list(columns)].rename(columns=columns)
        if spec["kind"] != "regression":
            df = df[df["label"] >= 0]  # GLUE marks hidden labels with -1
        frames[ours] = df
    names: tuple[str, ...] = ()
    label_feature = ds["train"].features[spec["label"]]
    if spec["kind"] != "regression":
        names = tuple(getattr(label_feature, "names", None) or map(str, sorted(frames["train"]["label"].unique())))
    return spec["kind"], names, frames


def load_frames(spec: dict, seed: int) -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    source = spec["source"]
    if source == "package":
        from ftgeom.assets.text_sources import read_source

        src, frames = read_source(spec["reader"])
        return src.kind, tuple(src.label_names), frames
    if source == "hub":
        return hub_frames(spec["hub"])
    if source == "synthetic":
        return synthetic_frames(spec["synthetic"], seed)
    raise ValueError(f"unknown task source '{source}'")


def to_dataset_dict(splits: dict[str, pd.DataFrame], kind: str, names: tuple[str, ...]):
    import datasets

    first = splits["train"]
    label = datasets.Value("float32") if kind == "regression" else datasets.ClassLabel(names=list(names))
    if "image" in first:
        h, w, c = first["image"].iloc[0].shape
        features = datasets.Features({"image": datasets.Array3D((h, w, c), "uint8"), "label": label})
    else:
        cols = {"text": datasets.Value("string")}
        if "text_pair" in first:
            cols["text_pair"] = datasets.Value("string")
        features = datasets.Features({**cols, "label": label})
    def build(df):
        if "image" in features:  # arrow cannot take a column of 3-d arrays from pandas: stack them first
            columns = {"image": np.stack(df["image"].to_list()), "label": df["label"].to_numpy()}
            return datasets.Dataset.from_dict(columns, features=features)
        return datasets.Dataset.from_pandas(df[list(features)], features=features, preserve_index=False)

    return datasets.DatasetDict({k: build(df) for k, df in splits.items()})


def save_dataset_atomic(dsd, out_dir: str | Path) -> None:
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    dsd.save_to_disk(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
