"""``featurekit.compare_models``: saved models side by side, as a DataFrame.

Only the readable metadata (``model.json``) and the honest test metrics
(``metrics.json``) of each model directory are read; no model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .errors import ConfigError, ModelError

__all__ = ["compare_models", "format_comparison", "COMPARE_COLUMNS", "COMPARE_FORMATS"]

#: Columns of :func:`compare_models`, in order.
COMPARE_COLUMNS = ("model", "kind", "target", "split", "leaky", "test", "n_test", "accuracy",
                   "balanced_accuracy", "macro_f1", "fit_seconds")
COMPARE_FORMATS = ("table", "csv", "json")


def _read_json(path: Path, missing: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(missing) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is corrupt ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} is corrupt (not a JSON object)")
    return data


def _row(directory) -> dict:
    from .models.artifact import META_FILE

    d = Path(directory)
    if not d.is_dir():
        raise ModelError(f"{d} is not a featurekit model directory (no such directory)")
    meta = _read_json(d / META_FILE, f"{d} is not a featurekit model directory (no {META_FILE})")
    metrics = _read_json(d / "metrics.json", f"{d} has no metrics.json: train it with "
                                             f"featurekit train")
    split = metrics.get("split", {})
    try:
        return {
            "model": str(directory),
            "kind": meta["kind"],
            "target": meta["target"],
            "split": split.get("kind", "?") + (" (LEAKY)" if split.get("leaky") else ""),
            "leaky": bool(split.get("leaky", False)),
            "test": split.get("test", ""),
            "n_test": int(metrics["n_test"]),
            "accuracy": float(metrics["accuracy"]),
            "balanced_accuracy": float(metrics["balanced_accuracy"]),
            "macro_f1": float(metrics["macro_f1"]),
            "fit_seconds": float(meta["fit_seconds"]) if "fit_seconds" in meta else float("nan"),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{d}: model.json/metrics.json lack {exc} (not a featurekit model?)") \
            from None


def compare_models(model_dirs, *, sort_by: str | None = None,
                   allow_mixed_targets: bool = False) -> pd.DataFrame:
    """One row per saved model: kind, target, split, test metrics and fit time.

    Parameters
    ----------
    model_dirs : sequence of path-like
        Model directories written by :func:`featurekit.train`.
    sort_by : str, optional
        A metric column (``macro_f1``, ``balanced_accuracy``, ``accuracy``,
        ``fit_seconds``...) to sort by, best first (fastest first for
        ``fit_seconds``); default: the given order.  Models scored on a leaky
        split (``leaky`` True: random note-level folds, notes of one
        instrument on both sides) always come after the honest ones: their
        scores are inflated and do not rank with them.
    allow_mixed_targets : bool, default=False
        Models of different targets (family vs. source vs. pitch) are not
        comparable; they are refused unless this is True.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARE_COLUMNS`.  ``split`` is the kind of split
        (``nsynth``, ``group_kfold``, ``random (LEAKY)``), ``leaky`` whether
        it let notes of one instrument sit on both sides, and ``test`` the
        notes scored.  ``df.attrs["n_leaky"]`` counts the leaky rows and
        ``df.attrs["same_test"]`` is False when the models were not scored on
        the same notes (then their numbers are not directly comparable).

    Raises
    ------
    ModelError
        A path that is not a model directory, or one without metrics.
    ConfigError
        No model, an unknown ``sort_by``, or mixed targets.
    """
    if isinstance(model_dirs, (str, Path)):
        model_dirs = [model_dirs]
    if not model_dirs:
        raise ConfigError("no model directory given")
    df = pd.DataFrame([_row(d) for d in model_dirs], columns=list(COMPARE_COLUMNS))
    targets = df["target"].unique().tolist()
    if len(targets) > 1 and not allow_mixed_targets:
        first = df.loc[df["target"] != df["target"].iloc[0]].iloc[0]
        raise ConfigError(
            f"model {first['model']} predicts {first['target']!r} but {df['model'].iloc[0]} "
            f"predicts {df['target'].iloc[0]!r}: models of different targets are not comparable "
            f"(allow_mixed_targets=True / --allow-mixed-targets to list them anyway)"
        )
    if sort_by is not None:
        numeric = [c for c in COMPARE_COLUMNS
                   if c not in ("model", "kind", "target", "split", "leaky", "test")]
        if sort_by not in numeric:
            raise ConfigError(f"cannot sort by {sort_by!r}; choose one of {', '.join(numeric)}")
        # Leaky rows last whatever the metric: an inflated score never outranks an honest one.
        df = df.sort_values(["leaky", sort_by], ascending=[True, sort_by == "fit_seconds"],
                            kind="stable")
        df = df.reset_index(drop=True)
    df.attrs["n_leaky"] = int(df["leaky"].sum())
    df.attrs["same_test"] = bool(df[["target", "split", "test"]].drop_duplicates().shape[0] == 1)
    return df


def format_comparison(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render :func:`compare_models`' frame as ``table``, ``csv`` or ``json`` text.

    Scores get 4 decimals and fit times 1; the text ends with a newline.
    """
    out = df.copy()
    for c in ("accuracy", "balanced_accuracy", "macro_f1"):
        out[c] = out[c].round(4)
    out["fit_seconds"] = out["fit_seconds"].round(1)
    if fmt == "csv":
        return out.to_csv(index=False)
    if fmt == "json":  # json.dumps: plain slashes (pandas writes "\\/"), NaN as null
        records = out.astype(object).where(out.notna(), None).to_dict(orient="records")
        from .models.metrics import plain

        return json.dumps(records, indent=2, default=plain) + "\n"
    if fmt == "table":
        return out.to_string(index=False) + "\n"
    raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(COMPARE_FORMATS)}")
