"""Importance plots on :class:`matplotlib.figure.Figure` objects (never pyplot state).

Bars are coloured by feature family, in catalogue order, so colours are stable
across plots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, OutputError
from ..features.catalogue import FEATURES
from ..fileio import atomic_path
from .outputs import check_output_file, check_suffix, plot_metadata

__all__ = ["importance_figure", "plot_importances", "save_figure", "check_plot_path", "family_totals",
           "GROUP_COLOURS", "PLOT_SUFFIXES"]

#: Feature family -> colour, in catalogue order (stable across plots).
_FAMILIES = list(dict.fromkeys(f.family for f in FEATURES.values()))
GROUP_COLOURS = {g: c for g, c in zip(_FAMILIES, (
    "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2"))}
_OTHER_COLOUR = "#7f7f7f"


def family_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Per-family totals of a per-feature importance frame.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`featurekit.importances` (``permutation`` or ``mdi``).

    Returns
    -------
    DataFrame
        ``group``, ``importance`` (sum of ``importance_mean``), ``n_features``,
        ``top_feature``, sorted by ``importance`` descending.  Summed
        single-feature permutation drops understate correlated families; use
        ``method="group-permutation"`` for a family's joint importance.
    """
    keys = ["class", "group"] if "class" in df.columns else ["group"]
    ordered = df.sort_values("importance_mean", ascending=False, kind="stable")
    out = ordered.groupby(keys, sort=False).agg(
        importance=("importance_mean", "sum"), n_features=("feature", "size"),
        top_feature=("feature", "first")).reset_index()
    by, ascending = (["class", "importance"], [True, False]) if "class" in keys else \
        (["importance"], [False])
    return out.sort_values(by, ascending=ascending, kind="stable").reset_index(drop=True)


def _colour(group):
    return GROUP_COLOURS.get(group, _OTHER_COLOUR)


def _bars(ax, names, values, errors, groups, *, fontsize):
    """Horizontal bars, largest on top, coloured by family."""
    y = np.arange(len(names))[::-1]
    values = np.asarray(values, dtype=float)
    errors = None if errors is None else np.asarray(errors, dtype=float)
    ax.barh(y, values, xerr=None if errors is None or np.isnan(errors).all() else errors,
            color=[_colour(g) for g in groups], ecolor="#444444", capsize=2)
    ax.set_yticks(y, list(names), fontsize=fontsize)
    ax.axvline(0, color="black", lw=0.6)


def importance_figure(df: pd.DataFrame, *, top: int = 20, totals: pd.DataFrame | None = None,
                      title: str | None = None):
    """A matplotlib Figure: the top-``top`` features coloured by family, and family totals.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`importances` (not ``per_class``).  A
        ``group-permutation`` frame (one row per family) gets a single panel.
    top : int, default=20
    totals : DataFrame, optional
        A ``group-permutation`` frame for the family panel (recommended with
        ``permutation``: the sum of many small single-feature drops is mostly
        noise and misses what correlated features share).  Default: the sum
        of ``df`` per family (:func:`family_totals`), exact for MDI.
    title : str, optional
    """
    from matplotlib.figure import Figure  # no pyplot: no backend switch, no global state
    from matplotlib.patches import Patch

    if "class" in df.columns:
        raise ConfigError("plot a per-class frame one class at a time: df[df['class'] == c]")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ConfigError(f"top must be a positive integer, got {top!r}")
    attrs = df.attrs.get("importance", {})
    method = attrs.get("method")
    head = df.head(int(top))
    height = max(3.0, 0.28 * len(head) + 1.5)
    if method == "group-permutation":
        fig = Figure(figsize=(8, height + 0.4))
        ax = fig.subplots()
        _bars(ax, head["feature"], head["importance_mean"], head["importance_std"],
              head["group"], fontsize=9)
        ax.set_title("feature families", fontsize=10)
    else:
        fig = Figure(figsize=(12, height))
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        # MDI's std is the spread across trees (large, not an uncertainty): no error bars.
        _bars(ax, head["feature"], head["importance_mean"],
              None if method == "mdi" else head["importance_std"], head["group"], fontsize=8)
        ax.set_title(f"top {len(head)} features", fontsize=10)
        if len(head) and not head["importance_mean"].abs().gt(0).any():
            ax.text(0.5, 0.5, "no single shuffle changed the score:\ncorrelated features "
                    "stand in for each other\n(see method 'group-permutation')",
                    transform=ax.transAxes, ha="center", va="center", fontsize=9,
                    color="#444444")
        present = list(dict.fromkeys(head["group"]))
        ax.legend(handles=[Patch(color=_colour(g), label=g) for g in present], fontsize=8,
                  loc="lower right", title="family", title_fontsize=8)
        if totals is not None:
            _bars(ax2, [f"{f} ({k})" for f, k in zip(totals["feature"], totals["n_columns"])],
                  totals["importance_mean"], totals["importance_std"], totals["group"],
                  fontsize=9)
            ax2.set_title("families shuffled together (group-permutation)", fontsize=10)
            scoring = totals.attrs.get("importance", {}).get("scoring", "score")
            ax2.set_xlabel(f"drop in {scoring} (held-out rows)")
        else:
            sums = family_totals(df)
            _bars(ax2, [f"{g} ({k})" for g, k in zip(sums["group"], sums["n_features"])],
                  sums["importance"], None, sums["group"], fontsize=9)
            ax2.set_title("family totals" + (" (sum of noisy single drops)"
                                             if method == "permutation" else ""), fontsize=10)
            ax2.set_xlabel("sum over the family's features")
    ax.set_xlabel(_xlabel(attrs))
    fig.suptitle(title or _title(attrs), fontsize=11)
    fig.tight_layout()
    return fig


def _xlabel(attrs):
    if attrs.get("method") == "mdi":
        return "mean decrease in impurity (training rows)"
    if attrs.get("scoring"):
        return f"drop in {attrs['scoring']} when shuffled (held-out rows)"
    return "importance"


def _title(attrs):
    if not attrs:
        return "feature importances"
    line = f"{attrs.get('kind', 'model')} -> {attrs.get('target', '')}: {attrs.get('method')}"
    if "n_rows" in attrs:
        line += (f"\n{attrs['n_rows']} held-out notes, {attrs.get('n_repeats')} repeats, "
                 f"baseline {attrs.get('scoring')} {attrs.get('baseline_score', float('nan')):.3f}")
    return line


#: Image formats :func:`plot_importances` writes, by file suffix.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(path):
    """Raise :class:`ConfigError` unless ``path`` ends in ``.png``, ``.svg`` or ``.pdf``."""
    return check_suffix(path, PLOT_SUFFIXES, "plot to")


def plot_importances(df: pd.DataFrame, path, *, top: int = 20,
                     totals: pd.DataFrame | None = None, title: str | None = None,
                     overwrite: bool = False):
    """Write :func:`importance_figure` to ``path`` (PNG, SVG or PDF), atomically; return the path.

    An existing ``path`` is replaced only if featurekit wrote it, or with
    ``overwrite=True`` (see :mod:`featurekit.inspection.outputs`).
    """
    path = check_output_file(check_plot_path(path), overwrite=overwrite)
    fig = importance_figure(df, top=top, totals=totals, title=title)
    save_figure(fig, path, dpi=110)
    return path


def save_figure(fig, path, *, dpi=100):
    """``fig.savefig`` to ``path`` atomically, with featurekit's mark in the image metadata."""
    path = Path(path)
    with atomic_path(path) as tmp:
        try:
            fig.savefig(tmp, dpi=dpi, format=path.suffix.lower()[1:] or None,
                        metadata=plot_metadata(path.suffix) or None)
        except OSError as exc:
            raise OutputError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    return path
