"""What plays when: window-by-window predictions over a long recording.

:func:`predict_timeline` cuts a recording into the windows of
:mod:`featurekit.segments`, computes each window's features exactly as a
segmented ``featurekit extract`` does, and asks a saved model for class
probabilities.  The *predominant* label of the whole file is the class with
the highest mean probability over the windows, each window weighted by the
seconds of audio it holds (a padded last window counts for less).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .errors import AudioError
from .segments import audio_duration, check_segment_args, windows

#: Columns of :attr:`Timeline.windows`.
TIMELINE_COLUMNS = ["start", "end", "label", "probability"]


@dataclass
class Timeline:
    """Predictions over the windows of one recording.

    Attributes
    ----------
    path : str
        The recording.
    windows : pandas.DataFrame
        One row per analysed window: ``start``, ``end`` (s, float),
        ``label`` (the most probable class) and ``probability`` (its
        probability, in [0, 1]).
    probabilities : pandas.DataFrame, shape (n_windows, n_labels)
        Every class's probability per window (columns: the model's labels).
    predominant : object
        The label with the highest duration-weighted mean probability.
    predominant_probability : float
        That mean probability.
    failures : pandas.DataFrame
        ``start, error`` of windows that could not be read.
    """

    path: str
    windows: pd.DataFrame
    probabilities: pd.DataFrame
    predominant: object
    predominant_probability: float
    failures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["start", "error"]))

    def summary(self) -> str:
        """One line naming the predominant label, e.g. ``predominant: organ (0.83)``."""
        return (f"predominant: {self.predominant} ({self.predominant_probability:.2f}) "
                f"over {len(self.windows)} windows of {self.path}")



def _load(model):
    if isinstance(model, (str, os.PathLike)):
        import featurekit

        return featurekit.load_model(model)
    return model


def predict_timeline(model, path, segment_seconds: float | None = None,
                     hop_seconds: float | None = None, *, n_jobs: int = 1) -> Timeline:
    """Predict the label of every window of a long recording.

    Parameters
    ----------
    model : Model or path-like
        A saved model (directory) or a loaded one: anything with
        ``extraction_config``, ``labels`` and ``predict_proba(features)``.
    path : path-like
        The recording (any format libsndfile reads; any rate and channels).
    segment_seconds : float, optional
        Window length in seconds; default the model's clip length
        (``model.extraction_config.duration``), which is what it was trained
        on.  Another length changes what every feature summarises.
    hop_seconds : float, optional
        Seconds between window starts (default: ``segment_seconds``).
    n_jobs : int
        Processes computing features.

    Returns
    -------
    Timeline

    Raises
    ------
    AudioError
        The recording is missing or unreadable, or no window could be read.
    ConfigError
        A non-positive window length or hop.
    """
    from .extraction import extract_files

    model = _load(model)
    path = os.fspath(path)
    config = model.extraction_config
    segment, hop_seconds = check_segment_args(
        segment_seconds if segment_seconds is not None else config.duration, hop_seconds)
    if segment != config.duration:
        config = replace(config, duration=segment)
    duration = audio_duration(path)
    spans = windows(duration, segment, hop_seconds)
    feats, failures = extract_files([path] * len(spans), config, n_jobs=n_jobs, starts=spans[:, 0])
    failures = pd.DataFrame({"start": spans[~np.isin(spans[:, 0], feats["start"]), 0],
                             "error": failures["error"].to_numpy()})
    if feats.empty:
        raise AudioError(f"{path}: no window could be read ({failures['error'].iloc[0]})")
    proba = np.asarray(model.predict_proba(feats), dtype=np.float64)
    labels = list(model.labels)
    ends = dict(zip(spans[:, 0], spans[:, 1]))
    starts = feats["start"].to_numpy()
    best = proba.argmax(axis=1)
    table = pd.DataFrame({
        "start": starts,
        "end": np.array([ends[s] for s in starts]),
        "label": [labels[i] for i in best],
        "probability": proba[np.arange(len(best)), best],
    })
    weights = (table["end"] - table["start"]).to_numpy()
    mean = weights @ proba / weights.sum()
    top = int(mean.argmax())
    return Timeline(path=path, windows=table, probabilities=pd.DataFrame(proba, columns=labels),
                    predominant=labels[top], predominant_probability=float(mean[top]),
                    failures=failures)


def format_timeline(timeline: Timeline, fmt: str = "table") -> str:
    """Render a timeline as ``table``, ``csv`` or ``json`` text (ends with a newline).

    ``table`` prints the windows then the :meth:`Timeline.summary` line;
    ``csv`` only the windows (``start,end,label,probability``), so the text
    stays one CSV table; ``json`` an object with ``path``, ``predominant``,
    ``probability`` and ``windows`` (a list of records).  Seconds are printed
    to the millisecond, probabilities to 4 decimals.
    """
    import json

    from .errors import ConfigError

    w = timeline.windows.copy()
    w[["start", "end"]] = w[["start", "end"]].round(3)
    w["probability"] = w["probability"].round(4)
    if fmt == "table":
        return w.to_string(index=False) + "\n" + timeline.summary() + "\n"
    if fmt == "csv":
        return w.to_csv(index=False)
    if fmt == "json":
        label = timeline.predominant
        return json.dumps({
            "path": timeline.path,
            "predominant": label.item() if hasattr(label, "item") else label,
            "probability": round(timeline.predominant_probability, 4),
            "windows": json.loads(w.to_json(orient="records")),
        }, indent=2) + "\n"
    raise ConfigError(f"unknown format {fmt!r}; choose one of table, csv, json")


def plot_timeline(timeline: Timeline, out=None):
    """Draw a timeline: the top label per window, and every class's probability.

    Parameters
    ----------
    timeline : Timeline
    out : path-like, optional
        Save the figure here (format from the ending, e.g. ``.png``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, safe in workers

    w, p = timeline.windows, timeline.probabilities
    labels = list(p.columns)
    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    colors = {lab: cmap(i % cmap.N) for i, lab in enumerate(labels)}
    fig = Figure(figsize=(10, 4.5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 3]})
    for lab in labels:
        rows = w[w["label"] == lab]
        if len(rows):
            top.broken_barh(list(zip(rows["start"], rows["end"] - rows["start"])), (0, 1),
                            color=colors[lab], label=str(lab))
    top.set_yticks([])
    top.set_title(f"{os.path.basename(timeline.path)}: predominant {timeline.predominant} "
                  f"({timeline.predominant_probability:.2f})")
    # each window's value holds from its start to the next start (the last: to its end)
    edges = np.r_[w["start"].to_numpy(), w["end"].to_numpy()[-1:]]
    for lab in labels:
        values = p[lab].to_numpy()
        bottom.step(edges, np.r_[values, values[-1:]], where="post", color=colors[lab], label=str(lab))
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("probability")
    bottom.set_xlabel("time (s)")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    if out is not None:
        from .inspection.plots import save_figure

        save_figure(fig, out, dpi=100)  # atomic, marked as featurekit's
    return fig
