"""``featurekit synth``: General MIDI SoundFonts -> NSynth-format corpus."""

from __future__ import annotations

import click

from ..errors import ConfigError
from .options import cli_wording, echo_warnings, jobs_option


def _ints(option: str, text: str | None) -> list[int] | None:
    """Parse ``"25,50"`` or ``"0,24-31"`` (inclusive ranges) into integers."""
    if text is None:
        return None
    values = []
    try:
        for item in filter(None, (t.strip() for t in text.split(","))):
            low, _, high = item.partition("-")
            values.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ConfigError(f"{option} takes comma-separated integers or ranges like 24-31, "
                          f"got {text!r}") from None
    return values


@click.command("synth")
@click.option("--soundfont", "-s", "soundfonts", multiple=True,
              metavar="PATH[:SPLIT][:synthetic|:sampled]",
              help="A General MIDI SoundFont, or the Timidity .cfg of a GUS patch set such "
                   "as /etc/timidity/freepats.cfg (repeatable; default: every installed .sf2, "
                   "each real file once, and every installed GUS set; see --list-soundfonts). "
                   "':train', ':valid' or ':test' puts "
                   "all its instruments in that split; ':synthetic' labels all of them "
                   "synthetic (automatic for OPL/FM in the file name; ':sampled' turns that "
                   "off). 'bundled' is pretty_midi's TimGM6mb.sf2.")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Corpus root to write (NSynth jsonwav layout).")
@click.option("--velocities", default="25,50,75,100,127", show_default=True,
              help="MIDI velocities (1-127) of every pitch.")
@click.option("--pitch-step", default=1, show_default=True, type=int,
              help="Semitones between rendered pitches (1: every pitch of the instrument's "
                   "range, as NSynth; 12: one C per octave).")
@click.option("--pitch-range", type=click.Choice(["instrument", "piano"]), default="instrument",
              show_default=True,
              help="'instrument': each GM program's playable range; 'piano': every program "
                   "over MIDI 21-108, as NSynth rendered every instrument.")
@click.option("--programs", default=None,
              help="GM programs to render, e.g. 0,24-31,40 (default: all the table maps).")
@click.option("--max-per-family", type=int, default=None,
              help="Keep at most this many instruments per family (a seeded choice).")
@click.option("--test-fraction", default=0.2, show_default=True, type=float,
              help="Share of each family's instruments (from SoundFonts without a split) "
                   "put in nsynth-test.")
@click.option("--valid-fraction", default=0.1, show_default=True, type=float,
              help="Share put in nsynth-valid.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the instrument split and of --max-per-family.")
@jobs_option()
@click.option("--augment/--no-augment", default=False, show_default=True,
              help="Pass every note through a seeded random recording chain (room, "
                   "microphone EQ, noise floor, gain, detune, early release; "
                   "featurekit.synth.augment).")
# default: featurekit.synth.corpus.SHORT_COPIES (a test checks they agree)
@click.option("--short-copies", type=click.FloatRange(0, 1), default=1.0,
              show_default=True, metavar="SHARE",
              help="Share of the notes that also get a short copy (the note's first "
                   "0.3-1.5 s, seeded, 20 ms fade-out) as <note_str>-short: real notes are "
                   "often short. 0: none.")
# default: featurekit.synth.corpus.LEVELS (a test checks they agree)
@click.option("--levels", type=click.Choice(["nsynth", "synth"]), default="nsynth",
              show_default=True,
              help="'nsynth': every clip scaled to a peak of -1.1 dBFS, as NSynth's notes are "
                   "peak-normalised at every velocity; 'synth': the synthesizer's levels "
                   "(an instrument scaled down as a whole only if it would clip).")
@click.option("--overwrite", is_flag=True,
              help="Replace the corpus already in --out, if featurekit synth wrote it "
                   "(other files are never touched).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--list-soundfonts", is_flag=True,
              help="List the SoundFonts found on this machine and exit.")
def command(soundfonts, out, velocities, pitch_step, pitch_range, programs, max_per_family,
            test_fraction, valid_fraction, seed, jobs, augment, short_copies, levels, overwrite,
            quiet, list_soundfonts):
    """Render an NSynth-format corpus from General MIDI SoundFonts.

    Every (SoundFont, GM program) pair becomes one instrument, labelled with
    the NSynth family and source of featurekit/data/gm_nsynth.csv (programs
    with no honest NSynth family, such as pads, effects and drums, are left
    out) and numbered NSynth-style per family and source (guitar_acoustic_012).
    Each note is NSynth's: 16 kHz mono 16-bit PCM, 4 s (held 3 s, released
    1 s), at every pitch of the real instrument's range and every velocity,
    each clip peak-normalised as NSynth's are (--levels).  A GUS patch set (a
    Timidity .cfg, e.g. Debian's FreePats) is converted to a SoundFont once,
    into ~/.cache/featurekit/gus, and played the same way.

    Splits hold whole instruments: a SoundFont given as PATH:test goes
    entirely to nsynth-test; the instruments of SoundFonts without a split are
    shuffled per family (--seed) into test, valid and train by
    --test-fraction and --valid-fraction.  Absent or silent presets are
    skipped and listed.  The same command gives byte-identical files.

    \b
    Output (DIR = --out):
      DIR/nsynth-<split>/examples.json      NSynth metadata keyed by note_str
      DIR/nsynth-<split>/audio/<note_str>.wav
      DIR/synth_instruments.csv             instrument -> SoundFont, program, split
      DIR/synth_skipped.csv                 presets not rendered, with the reason

    SoundFonts that can land on different splits are checked for near-copies
    (shared recordings, found by waveform correlation of a few probe notes).
    Near-copies left to the seeded split are split together: a GM program of
    both goes to one split (with the defaults, TimGM6mb's and its copy
    sf_GMbank's same program never lands on two splits; samples a SoundFont
    reuses across programs are not checked).  A near-copy pair pinned apart
    is reported as a warning on stderr, since that split is not disjoint.
    Independent Debian SoundFonts: see docs/synth.md.

    \b
    Exit status: 0 corpus written (skipped presets are listed, not failures);
    1 bad arguments, an unreadable SoundFont or nothing left to render.

    \b
    Examples:
      featurekit synth --list-soundfonts
      featurekit synth -s bundled --out corpus --pitch-step 12
      featurekit synth -s /usr/share/sounds/sf2/FluidR3_GM.sf2:train \\
          -s /usr/share/sounds/sf2/TimGM6mb.sf2:test \\
          -s /usr/share/sounds/sf2/OPL-3_FM_128M.sf2:valid --out gm-nsynth
    """
    from .. import synth

    if list_soundfonts:
        found = synth.find_soundfonts()
        bundled = [p.resolve() for p in found if p.parent.name == "pretty_midi"]
        if not found:
            click.echo(f"no SoundFonts in {', '.join(synth.SEARCH_DIRS)} (nor pretty_midi's)")
        for path in found:
            if path.suffix == ".cfg":
                from ..synth import gus

                patches = gus.read_timidity_config(path).values()
                size = sum(p.stat().st_size for p in patches)
                tags = [f"{size / 2**20:.1f} MB, GUS patch set of {len(patches)} melodic patches"]
            else:
                tags = [f"{path.stat().st_size / 2**20:.1f} MB"]
            tags += ["bundled"] if path.resolve() in bundled else []
            tags += ["synthetic"] if synth.SoundFontSpec(path).is_synthetic else []
            click.echo(f"{path}  ({', '.join(tags)})")
        return
    if out is None:
        raise click.UsageError("give --out (or --list-soundfonts)")
    if not soundfonts:
        soundfonts = [str(p) for p in synth.default_soundfonts()]
        click.echo(f"SoundFonts (every installed .sf2 and GUS set; give --soundfont to choose): "
                   f"{', '.join(soundfonts)}", err=True)
    with echo_warnings(), cli_wording({"overwrite=True": "--overwrite"}):
        result = synth.render_corpus(
            soundfonts, out, velocities=_ints("--velocities", velocities), pitch_step=pitch_step,
            test_fraction=test_fraction, valid_fraction=valid_fraction, seed=seed,
            programs=_ints("--programs", programs), max_instruments_per_family=max_per_family,
            overwrite=overwrite, n_jobs=jobs, progress=not quiet, augment=augment,
            pitch_range=pitch_range, short_copies=short_copies, levels=levels)
    click.echo(result.summary())
