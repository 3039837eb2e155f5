"""``featurekit.write_html_report``: a one-page HTML or Markdown report of a saved model.

(``featurekit.write_report`` is the same function under its former name; the
metric files of a model directory are written by
:func:`featurekit.models.metrics.write_report`, a different thing.)

The page holds the model's honest split description, its test metrics, the
per-class table, the confusion matrix and feature-importance plots.  Images
are embedded as base64 ``data:`` URIs, so the single file opens in a browser
with no server and can be mailed or archived as it is.  (Markdown viewers that
refuse ``data:`` images, e.g. GitHub's, show the alt text instead.)

The page is assembled from a short list of blocks (heading, paragraph,
warning, key/value list, table, image) rendered by one function per format.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from .errors import ConfigError, ModelError
from .fileio import write_text_atomic
from .inspection.engine import MAX_SAMPLES
from .inspection.outputs import REPORT_MARK, check_output_file, check_suffix

__all__ = ["write_html_report", "write_report", "render_report", "REPORT_FORMATS"]

#: File suffix -> report format.
REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 2px solid #1f77b4; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; color: #1f4e79; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f2f5f9; }
td:first-child, th:first-child { text-align: left; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; }
dt { font-weight: 600; } dd { margin: 0; }
.warn { background: #fff3cd; border-left: 4px solid #e0a800; padding: .5em .8em; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
p.note { color: #555; font-size: .9em; }
"""


# --- blocks -----------------------------------------------------------------
def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _confusion_png(model, metrics) -> bytes:
    from .models.metrics import plot_confusion

    saved = model.path / "confusion.png" if model.path is not None else None
    if saved is not None and saved.is_file():
        return saved.read_bytes()
    buf = io.BytesIO()
    plot_confusion(metrics, buf)
    return buf.getvalue()


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _model_blocks(model, metrics):
    from .models.metrics import per_class_frame

    meta, split = model.meta, metrics.get("split", {})
    spec = meta.get("spec") or {}
    blocks = [("h1", f"featurekit report: {model.kind} \u2192 {model.target}")]
    if split.get("leaky"):
        blocks.append(("warn", split.get("description", "LEAKY split")))
    blocks += [
        ("kv", [
            ("model", str(model.path) if model.path else "(not saved)"),
            ("pipeline", f"{model.kind}: {spec.get('description', '')}".rstrip(": ")),
            ("target", model.target),
            ("classes", f"{len(model.labels)}: {', '.join(str(v) for v in model.labels[:30])}"
                        + (", ..." if len(model.labels) > 30 else "")),
            ("feature columns", str(len(model.feature_columns))),
            ("trained on", f"{meta.get('fingerprint', {}).get('n_rows', '?')} notes"),
            ("fit time", f"{meta['fit_seconds']:.1f} s" if "fit_seconds" in meta else "?"),
            ("seed", str(meta.get("seed", "?"))),
            ("featurekit", str(meta.get("featurekit_version", "?"))),
        ]),
        ("h2", "Split"),
        ("kv", [(k, str(split[k])) for k in ("description", "train", "test", "selection", "model")
                if k in split]),
        ("h2", "Test metrics"),
        ("kv", [(name, _fmt(metrics[key])) for name, key in (
            ("accuracy", "accuracy"), ("balanced accuracy", "balanced_accuracy"),
            ("macro-F1", "macro_f1"), ("weighted F1", "weighted_f1"), ("test notes", "n_test"))
            if key in metrics]),
        ("h2", "Per class"),
        ("table", per_class_frame(metrics)),
        ("h2", "Confusion matrix"),
        ("img", _confusion_png(model, metrics), "confusion matrix (rows normalised)"),
    ]
    return blocks


_METHOD_NOTES = {
    "permutation": "Drop of the score when one feature column is shuffled on held-out notes. "
                   "Understates families of correlated features (a shuffled MFCC is read from "
                   "its neighbours); see the family-level permutation.",
    "group-permutation": "Drop of the score when a whole feature family is shuffled at once "
                         "on held-out notes.",
    "mdi": "Mean decrease in impurity of the trees, measured on the TRAINING rows: biased "
           "towards continuous, high-variance features; it shows what the trees split on, "
           "not what generalises to unseen instruments.",
}


def _importance_blocks(model, frames, top):
    """Blocks for each frame; with both permutation methods, one figure shows both."""
    from .importance import explainable, importance_figure

    blocks = [("h2", "Feature importances")]
    if not frames and not explainable(model):
        blocks.append(("p", "No importances: they explain models of feature columns, and this "
                            "model reads time-frequency frames."))
    elif not frames:
        blocks.append(("p", "No importances: give a feature table of held-out notes (featurekit report "
                            "--features DIR) for permutation importances (MDI needs a tree model)."))
    by_method = {df.attrs["importance"]["method"]: df for df in frames}
    families = by_method.get("group-permutation")
    for df in frames:
        info = df.attrs["importance"]
        method = info["method"]
        blocks.append(("h3", method))
        text = _METHOD_NOTES.get(method, "")
        if "rows" in info:
            text += f" Rows scored: {info['rows']}."
        if "baseline_score" in info:
            text += (f" Baseline {info['scoring']}: {info['baseline_score']:.4f}; "
                     f"{info['n_repeats']} shuffles, seed {info['seed']}.")
        blocks.append(("p", text.strip()))
        if method == "group-permutation" and "permutation" in by_method:
            blocks.append(("p", "Plotted as the right-hand panel of the permutation figure."))
        else:
            totals = families if method == "permutation" else None
            fig = importance_figure(df, top=top, totals=totals)
            blocks.append(("img", _png(fig), f"{method} importances"))
        shown = ("feature", "importance_mean", "importance_std", "n_columns") \
            if method == "group-permutation" else ("feature", "group", "importance_mean",
                                                   "importance_std")
        blocks.append(("table", df[[c for c in shown if c in df.columns]].head(top)))
    return blocks


# --- renderers --------------------------------------------------------------
def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _html(blocks) -> str:
    esc = html.escape
    title = next((b[1] for b in blocks if b[0] == "h1"), "featurekit report")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"]
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f"<{kind}>{esc(block[1])}</{kind}>")
        elif kind == "p":
            out.append(f'<p class="note">{esc(block[1])}</p>')
        elif kind == "warn":
            out.append(f'<p class="warn">WARNING: {esc(block[1])}</p>')
        elif kind == "kv":
            rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in block[1])
            out.append(f"<dl>{rows}</dl>")
        elif kind == "table":
            out.append(block[1].to_html(index=False, border=0, float_format=_fmt, escape=True))
        elif kind == "img":
            out.append(f'<p><img src="{_data_uri(block[1])}" alt="{esc(block[2])}"></p>')
    out.append("</body></html>")
    out.append(REPORT_MARK)
    return "\n".join(out) + "\n"


def _md_cell(v) -> str:
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


def _markdown(blocks) -> str:
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {block[1]}")
        elif kind == "h2":
            out.append(f"## {block[1]}")
        elif kind == "h3":
            out.append(f"### {block[1]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "warn":
            out.append(f"> **WARNING:** {block[1]}")
        elif kind == "kv":
            out.append("\n".join(f"- **{k}:** {v}" for k, v in block[1]))
        elif kind == "table":
            df = block[1]
            lines = ["| " + " | ".join(_md_cell(c) for c in df.columns) + " |",
                     "|" + "|".join("---" for _ in df.columns) + "|"]
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |"
                      for row in df.itertuples(index=False)]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({_data_uri(block[1])})")
    out.append(REPORT_MARK)
    return "\n\n".join(out) + "\n"


# --- public API -------------------------------------------------------------
def _default_methods(model, features):
    from .importance import explainable

    if not explainable(model):
        return ()
    if features is not None:
        return ("permutation", "group-permutation")
    clf = model.pipeline.steps[-1][1]
    return ("mdi",) if hasattr(clf, "feature_importances_") else ()


def render_report(model, *, features=None, methods=None, fmt: str = "html", top: int = 20,
                  n_repeats: int = 5, seed: int = 0, n_jobs: int | None = None,
                  max_samples: int | float | None = MAX_SAMPLES) -> str:
    """The report of ``model`` as an HTML or Markdown string.

    Parameters
    ----------
    model : Model or path-like
        A model or model directory written by :func:`featurekit.train`.
    features : DataFrame or path-like, optional
        A feature table with held-out notes, for permutation importances.
    methods : sequence of str, optional
        Importance methods to show (see :func:`featurekit.importances`);
        default ``("permutation", "group-permutation")`` with ``features``,
        else ``("mdi",)`` for tree models and none otherwise.
    fmt : {"html", "markdown"}, default="html"
    top : int, default=20
        Features per importance plot and table.
    n_repeats, seed, n_jobs, max_samples
        Passed to :func:`featurekit.importances`.

    Returns
    -------
    str

    Raises
    ------
    ConfigError, ModelError
        Bad format or method, a model without metrics, or an unusable table.
    """
    from .importance import importances
    from .models import load_model, load_table

    if fmt not in ("html", "markdown"):
        raise ConfigError(f"unknown report format {fmt!r}; choose html or markdown")
    model = load_model(model)
    metrics = model.metrics
    if metrics is None:
        raise ModelError(f"{model.path or 'the model'} has no metrics.json: train it with "
                         f"featurekit train (or featurekit.train(..., out=DIR))")
    if methods is None:
        methods = _default_methods(model, features)
    if isinstance(methods, str):
        methods = (methods,)
    table = load_table(features) if features is not None else None
    frames = [importances(model, table, m, n_repeats=n_repeats, seed=seed, n_jobs=n_jobs,
                          max_samples=max_samples)
              for m in methods]
    blocks = _model_blocks(model, metrics) + _importance_blocks(model, frames, top)
    return _html(blocks) if fmt == "html" else _markdown(blocks)


def write_html_report(model, out, *, features=None, methods=None, top: int = 20,
                      n_repeats: int = 5, seed: int = 0, n_jobs: int | None = None,
                      max_samples: int | float | None = MAX_SAMPLES,
                      overwrite: bool = False) -> Path:
    """Write the one-page report of ``model`` to ``out`` (``.html`` or ``.md``), atomically.

    The format follows the suffix of ``out`` (``.html``/``.htm`` or
    ``.md``/``.markdown``); other arguments are those of :func:`render_report`.
    An existing ``out`` is replaced only if featurekit wrote it (its last line
    is :data:`~featurekit.inspection.outputs.REPORT_MARK`), or with
    ``overwrite=True``; this is checked before anything is computed.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> featurekit.write_html_report("models/rf", "rf.html", features="feats/")  # doctest: +SKIP
    """
    out = Path(out)
    check_suffix(out, tuple(REPORT_FORMATS), "write a report to")
    fmt = REPORT_FORMATS[out.suffix.lower()]
    check_output_file(out, overwrite=overwrite)
    text = render_report(model, features=features, methods=methods, fmt=fmt, top=top,
                         n_repeats=n_repeats, seed=seed, n_jobs=n_jobs, max_samples=max_samples)
    return write_text_atomic(out, text)


#: Former name of :func:`write_html_report`, kept as an alias (``featurekit.write_report``).
write_report = write_html_report
