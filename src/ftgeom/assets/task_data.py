"""Task data in one schema: fixed, seeded train/validation/test splits saved with `datasets.save_to_disk`.

Text tasks: columns text, [text_pair], label.  Image tasks: image (uint8 H x W x C), label.
Classification labels are ClassLabel (0..C-1); regression labels float32.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")


def example_hash(df: pd.DataFrame, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per example that depends only on its content and the data seed.

    Split membership is a threshold on it, so an example lands in the same split in every task built from the same
    sentences or images (e.g. the movie-review snippets behind two tasks): cross-task experiments cannot leak.
    Text is compared case- and whitespace-insensitively.
    """
    salt = str(seed).encode() + b"\x00"
    if "image" in df:
        contents = (np.ascontiguousarray(x).tobytes() + str(np.shape(x)).encode() for x in df["image"])
    else:
        pair = df["text_pair"] if "text_pair" in df else [""] * len(df)
        contents = (" ".join(f"{a}\x1f{b}".lower().split()).encode() for a, b in zip(df["text"], pair))
    digests = [int.from_bytes(hashlib.blake2b(salt + c, digest_size=8).digest(), "little") for c in contents]
    return np.asarray(digests, dtype=np.float64) / 2.0 ** 64


def _cap(df: pd.DataFrame, u: np.ndarray, n: int | None, stratify: bool) -> pd.DataFrame:
    """At most n rows: the lowest-hash rows, per class in proportion to the class sizes when stratified."""
    if n is None or len(df) <= n:
        return df
    if not stratify:
        return df.iloc[np.sort(np.argsort(u, kind="stable")[:n])]
    counts = df["label"].value_counts().sort_index()
    exact = counts * n / len(df)
    quota = np.floor(exact).astype(int)
    quota[(exact - quota).sort_values(ascending=False, kind="stable").index[: n - quota.sum()]] += 1
    keep = []
    labels = df["label"].to_numpy()
    for label, k in quota.items():
        rows = np.flatnonzero(labels == label)
        keep.extend(rows[np.argsort(u[rows], kind="stable")[:k]])
    return df.iloc[np.sort(keep)]


def make_splits(frames: dict[str, pd.DataFrame], kind: str, sizes: dict, seed: int) -> dict[str, pd.DataFrame]:
    """Official test split if the source has one, else a held-out fraction; validation always from train.

    Membership is a threshold on `example_hash` (content + seed), caps keep the lowest-hash examples (stratified
    by label for classification), so splits are fixed, disjoint, and the same across tasks sharing examples.
    """
    stratify = kind != "regression"
    train = frames["train"].reset_index(drop=True)
    u = example_hash(train, seed)
    test_fraction, validation_fraction = sizes["test_fraction"], sizes["validation_fraction"]
    if frames.get("test") is not None:
        test = frames["test"].reset_index(drop=True)
        u_test, lo = example_hash(test, seed), 0.0
    else:
        is_test = u < test_fraction
        test, u_test, lo = train[is_test].reset_index(drop=True), u[is_test], test_fraction
    is_val = (u >= lo) & (u < lo + validation_fraction)
    is_train = u >= lo + validation_fraction
    parts = {"train": (train[is_train].reset_index(drop=True), u[is_train]),
             "validation": (train[is_val].reset_index(drop=True), u[is_val]),
             "test": (test, u_test)}
    out = {k: _cap(df, uk, sizes.get(f"max_{k}"), stratify) for k, (df, uk) in parts.items()}
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def synthetic_frames(spec: dict, seed: int) -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    """Learnable toy data for tests: the label is carried by keywords (text) or a bright quadrant (image)."""
    rng = np.random.default_rng(seed)
    kind, n, modality = spec["kind"], spec["size"], spec["modality"]
    num_labels = 2 if kind == "binary" else spec["num_labels"]
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


def hub_frames(spec: dict, name: str = "task") -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    """`datasets.load_dataset` (a hub name such as nyu-mll/glue, or a local folder) mapped onto our schema."""
    import datasets

    from ftgeom.assets import checks
    from ftgeom.assets.hub import hub_load

    checks.local_csvs(name, spec)
    what = f"dataset '{spec['path']}'" + (f" ({spec['name']})" if spec.get("name") else "") + " (source hub)"
    ds = hub_load(what, spec["path"], lambda: datasets.load_dataset(spec["path"], spec.get("name")))
    if spec.get("image"):
        columns = {spec["image"]: "image", spec["label"]: "label"}
    else:
        columns = {spec["text"]: "text", spec["label"]: "label"}
    if spec.get("text_pair"):
        columns[spec["text_pair"]] = "text_pair"
    frames = {}
    for ours, theirs in (("train", spec["train_split"]), ("test", spec["test_split"])):
        if theirs not in ds:
            raise checks.DataError(f"task {name}: dataset {spec['path']} has no split '{theirs}' (has: "
                                   f"{', '.join(ds)}); set tasks.{name}.hub.train_split / test_split")
        # the column names alone: the split is converted once, below
        checks.columns(name, pd.DataFrame(columns=ds[theirs].column_names), columns,
                       f"split '{theirs}' of {spec['path']}")
        if "image" in columns.values():  # PIL images -> uint8 H x W x C arrays
            part = ds[theirs].select_columns(list(columns)).with_format("numpy")
            df = pd.DataFrame({"image": list(part[spec["image"]]), "label": part[spec["label"]]})
            df["image"] = [x if x.ndim == 3 else x[..., None] for x in df["image"]]
        else:
            df = ds[theirs].to_pandas()[list(columns)].rename(columns=columns)
        checks.labels(name, spec["kind"], {f"{theirs} (of {spec['path']})": df})  # its values; classes: later
        if spec["kind"] != "regression":
            df = df.assign(label=pd.to_numeric(df["label"]))
            df = df[df["label"] >= 0]  # GLUE marks hidden labels with -1
        frames[ours] = df
    names: tuple[str, ...] = ()
    label_feature = ds["train"].features[spec["label"]]
    if spec["kind"] != "regression":
        names = tuple(getattr(label_feature, "names", None) or map(str, sorted(frames["train"]["label"].unique())))
    return spec["kind"], names, frames


def load_frames(spec: dict, seed: int, name: str = "task") -> tuple[str, tuple[str, ...], dict[str, pd.DataFrame]]:
    source = spec["source"]
    if source == "package":
        from ftgeom.assets.image_sources import IMAGE_SOURCES
        from ftgeom.assets.text_sources import read_source

        if spec["reader"] in IMAGE_SOURCES:
            src = IMAGE_SOURCES[spec["reader"]]
            return src.kind, src.label_names, src.read()
        src, frames = read_source(spec["reader"])
        return src.kind, tuple(src.label_names), frames
    if source == "hub":
        return hub_frames(spec["hub"], name)
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
