"""Task metrics with sklearn/scipy (HF `evaluate` downloads its metrics from the hub, so it is avoided)."""
from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef


def compute(kind: str, predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """predictions: logits (N x C) for classification, scores (N,) or (N x 1) for regression."""
    if kind == "regression":
        scores = np.asarray(predictions, dtype=np.float64).reshape(-1)
        labels = np.asarray(labels, dtype=np.float64)
        if np.std(scores) == 0:  # a constant predictor has no correlation; scipy would warn and return nan
            return {"pearson": 0.0, "spearman": 0.0, "mse": float(np.mean((scores - labels) ** 2))}
        return {"pearson": float(pearsonr(scores, labels)[0]), "spearman": float(spearmanr(scores, labels)[0]),
                "mse": float(np.mean((scores - labels) ** 2))}
    pred = np.asarray(predictions).argmax(-1)
    average = "binary" if kind == "binary" else "macro"
    return {"accuracy": float(accuracy_score(labels, pred)),
            "f1": float(f1_score(labels, pred, average=average, zero_division=0)),
            "mcc": float(matthews_corrcoef(labels, pred))}
