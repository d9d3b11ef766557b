"""Task splits in memory (tokenised text as plain lists, images as preprocessed tensors), seeded batches.

Bucketing (sort within chunks of ~50 batches, then shuffle the batches) halves CPU step time on short texts while
keeping batches random; the order depends only on (seed, epoch), which is what makes mid-epoch resume exact.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ftgeom.provenance import read_json
from ftgeom.train.splits import Split, TaskData  # noqa: F401 (part of this module's interface)

FEATURES = ("input_ids", "attention_mask", "token_type_ids")


def load_task(data_dir: str | Path, model_info: dict, image_size: int | None = None) -> TaskData:
    """A task ready for one model: text from its encoded folder, images from the prepared folder (preprocessed
    here for the model: resized, 3 channels, normalised; see ftgeom.train.images)."""
    info = read_json(Path(data_dir) / "ftgeom_task.json")
    if info.get("modality") == "image":
        from ftgeom.train.images import load_image_task

        return load_image_task(data_dir, model_info, image_size)
    return load_text_task(data_dir, model_info.get("pad_token_id") or 0)


def load_text_task(encoded_dir: str | Path, pad_id: int) -> TaskData:
    import datasets

    encoded_dir = Path(encoded_dir)
    dsd = datasets.load_from_disk(str(encoded_dir))
    splits = {}
    for name in ("train", "validation", "test"):
        ds = dsd[name]
        feats = {k: ds[k] for k in FEATURES if k in ds.column_names}
        splits[name] = Split(feats, np.asarray(ds["label"]), np.asarray(ds["length"]))
    return TaskData(read_json(encoded_dir / "ftgeom_task.json"), pad_id=pad_id, **splits)


def epoch_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int, bucket: bool,
                  chunk_batches: int = 50) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    if bucket:
        chunk = batch_size * chunk_batches
        order = np.concatenate([c[np.argsort(lengths[c], kind="stable")]
                                for c in np.split(order, range(chunk, len(order), chunk))])
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if bucket:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def eval_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Sorted by length: evaluation order does not matter, padding does."""
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def collate(split: Split, idx: np.ndarray, pad_id: int, kind: str, device: torch.device) -> dict[str, torch.Tensor]:
    dtype = torch.float32 if kind == "regression" else torch.long
    labels = torch.as_tensor(split.labels[idx], dtype=dtype, device=device)
    if "pixel_values" in split.features:
        pixels = split.features["pixel_values"][torch.as_tensor(idx)].to(device)
        return {"pixel_values": split.transform(pixels) if split.transform else pixels, "labels": labels}
    if "features" in split.features:  # cached backbone features (paper C's head probing)
        return {"features": split.features["features"][torch.as_tensor(idx)].to(device), "labels": labels}
    width = int(split.lengths[idx].max())
    batch = {}
    for key, rows in split.features.items():
        fill = pad_id if key == "input_ids" else 0
        out = np.full((len(idx), width), fill, dtype=np.int64)
        for r, i in enumerate(idx):
            seq = rows[i]
            out[r, :len(seq)] = seq
        batch[key] = torch.from_numpy(out).to(device)
    batch["labels"] = labels
    return batch
