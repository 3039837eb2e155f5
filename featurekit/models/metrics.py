"""Classification metrics, their text summary and the report files of a model dir."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

__all__ = ["compute_metrics", "format_metrics", "write_metric_files", "plain", "plain_dict",
           "sort_labels", "split_warnings", "METRIC_FILES", "per_class_frame", "plot_confusion"]

#: Files :func:`write_metric_files` writes.
METRIC_FILES = ("metrics.json", "per_class.csv", "confusion.png", "predictions.parquet")


def plain(value):
    """numpy scalars -> Python scalars (for JSON); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def plain_dict(params) -> dict:
    """``{key: plain(value)}`` of a mapping (e.g. chosen grid parameters)."""
    return {k: plain(v) for k, v in params.items()}


def sort_labels(values) -> list:
    """The distinct labels of ``values`` as Python scalars, in a stable order (ints apart from strings)."""
    return sorted({plain(v) for v in values}, key=lambda v: (str(type(v)), v))


def compute_metrics(y_true, y_pred, labels, split: dict) -> dict:
    """Accuracy, balanced accuracy, macro-F1, per-class scores and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels of the test rows.
    labels : list
        The label order of the per-class table and the confusion matrix (the
        model's labels plus any unseen test labels).
    split : dict
        What was trained and tested on (stored as ``metrics["split"]``).

    Returns
    -------
    dict
        JSON-serialisable.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    present = [lab for lab in labels if np.any(y_true == lab)]
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "n_test": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        # Macro-F1 over the classes present in the test rows.
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro",
                                   zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=present, average="weighted",
                                      zero_division=0)),
        "per_class": {
            str(plain(lab)): {"precision": float(pi), "recall": float(ri), "f1": float(fi),
                              "support": int(si)}
            for lab, pi, ri, fi, si in zip(labels, p, r, f, s)
        },
        "confusion": {
            "labels": [plain(lab) for lab in labels],
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
        "split": split,
    }


def split_warnings(split: dict) -> list:
    """The warnings of a ``metrics["split"]`` entry, each once (older files: the leaky description)."""
    warns = split.get("warnings")
    if warns is None:
        warns = [split["description"]] if split.get("leaky") else []
    out = []
    for w in warns:
        w = str(w).removeprefix("WARNING: ")
        if w not in out:
            out.append(w)
    return out


def format_metrics(metrics: dict, *, title: str = "") -> str:
    """Short human-readable summary (what the CLI prints); every warning once, first."""
    split = metrics["split"]
    lines = [title] if title else []
    warns = split_warnings(split)
    lines += [f"WARNING: {w}" for w in warns]
    description = split["description"]
    if description not in warns:
        lines.append(f"split: {description}")
    lines += [f"  train: {split['train']}", f"  test:  {split['test']}"]
    if split.get("search") and split["search"].get("chosen"):
        lines.append(f"  search: chose {_chosen(split['search']['chosen'])} "
                     f"(grid {split['search']['grid']})")
    if split.get("solver"):
        lines.append(f"  solver: {split['solver']} (svm: exact RBF SVM up to 20,000 training rows, "
                     "Nystroem kernel approximation + linear SVM above; see docs/pipelines.md)")
    if split.get("balance"):
        lines.append(f"  balance: {split['balance']}")
    if split.get("resampling"):
        lines.append(f"  resampling: {split['resampling']}")
    if metrics.get("held_out") is False:
        if "featurekit evaluate" not in description:
            lines.append("no held-out score (the model was fitted on every row): "
                         "run `featurekit evaluate MODEL --features DIR` on notes it never saw")
        return "\n".join(lines)
    lines += [
        f"accuracy           {metrics['accuracy']:.4f}",
        f"balanced_accuracy  {metrics['balanced_accuracy']:.4f}",
        f"macro_f1           {metrics['macro_f1']:.4f}   ({metrics['n_test']} test notes)",
    ]
    rows = [(k, v) for k, v in metrics["per_class"].items() if v["support"] > 0]
    if rows and len(rows) <= 30:
        width = max(len(k) for k, _ in rows)
        lines.append(f"{'class':<{width}}  precision  recall  f1     support")
        for k, v in rows:
            lines.append(f"{k:<{width}}  {v['precision']:.3f}      {v['recall']:.3f}   "
                         f"{v['f1']:.3f}  {v['support']}")
    return "\n".join(lines)


def _chosen(chosen: list) -> str:
    """The chosen grid point(s): the saved model's (last) first, as ``key=value``."""
    points = [c for c in chosen if c]
    if not points:
        return "nothing"
    last = points[-1]
    text = ", ".join(f"{k.split('__')[-1]}={v!r}" for k, v in last.items())
    others = {tuple(sorted(p.items())) for p in points[:-1]} - {tuple(sorted(last.items()))}
    return text + (f" for the saved model; folds chose {len(others)} other point(s)" if others else "")


def per_class_frame(metrics: dict) -> pd.DataFrame:
    """The per-class table as a DataFrame (``class, precision, recall, f1, support``)."""
    df = pd.DataFrame.from_dict(metrics["per_class"], orient="index")
    df.index.name = "class"
    return df.reset_index()


def plot_confusion(metrics: dict, path: Path) -> None:
    """Draw the row-normalised confusion matrix into the image file ``path``.

    Draws on a :class:`matplotlib.figure.Figure` (no pyplot, no backend switch).
    """
    from matplotlib.figure import Figure

    from ..fileio import atomic_path

    labels = [str(lab) for lab in metrics["confusion"]["labels"]]
    cm = np.asarray(metrics["confusion"]["matrix"], dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(labels)
    size = min(4 + 0.45 * n, 24)
    fig = Figure(figsize=(size, size * 0.85))
    ax = fig.subplots()
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=90 if n > 6 else 0, fontsize=8 if n > 20 else 10)
    ax.set_yticks(range(n), labels, fontsize=8 if n > 20 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if cm[i, j]:
                    ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=8,
                            color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(f"macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f} "
                 f"(rows: recall)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format=path.suffix.lstrip(".") or "png")


def write_metric_files(directory, metrics: dict, predictions: pd.DataFrame) -> None:
    """Write :data:`METRIC_FILES`: ``metrics.json``, ``per_class.csv``, ``confusion.png``, ``predictions.parquet``.

    Each file is written atomically (:mod:`featurekit.fileio`).
    """
    from ..fileio import atomic_path, write_text_atomic

    d = Path(directory)
    write_text_atomic(d / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    if metrics.get("held_out") is not False:  # no held-out rows: nothing to tabulate or plot
        write_text_atomic(d / "per_class.csv", per_class_frame(metrics).to_csv(index=False))
        plot_confusion(metrics, d / "confusion.png")
    with atomic_path(d / "predictions.parquet") as tmp:
        predictions.to_parquet(tmp, index=False)
