"""The validation corpus: recordings from several sources, each with what was said, split
into a tuning half and a reporting half.

Thresholds are chosen by looking at the tuning half only; BENCHMARKS.md reports the
reporting half. Sources:

* `conversations`: tests/conversations.py's shapes (questions that recur, monologues with
  no pause, rapid turn-taking, backchannels, a numbered list read without a pause) in
  espeak-ng voices, speeds, noise levels and line types that no test uses;
* `pyannote`: pyannote.audio's sample call (a real two-party telephone call);
* `faster-whisper`: the real English clips of faster-whisper's tests (one of them two
  people, one per channel);
* `npsc`: real Norwegian parliament speech (the Norwegian Parliamentary Speech Corpus);
* `nb-whisper`: a real Norwegian public speech (NbAiLab's test audio; approximate
  reference).

    python bench/corpus.py --out .bench/corpus      # build it (about 5 minutes, cached)

The manifest (`corpus.json` in that folder) lists each file with its half, source,
language, duration, reference text and, where known, each speaker's text.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_AUDIO = ROOT.parent / "shared" / "audio"
sys.path.insert(0, str(ROOT / "tests"))

from conversations import Conversation, conversation_script, reading_script, record  # noqa: E402
from scripts import INTERVIEWER, PARTICIPANT  # noqa: E402

HALVES = ("tuning", "reporting")


@dataclass
class Item:
    name: str
    half: str
    source: str
    language: str
    what: str
    path: str = ""
    duration: float = 0.0
    reference: str = ""
    by_speaker: dict[str, str] | None = None  # each speaker's words, where known
    channels: str = "mono"


@dataclass
class Entry:
    item: Item
    build: Callable[[Path, Item], None] = field(repr=False)


def _synthetic(shape: str | None, minutes: float, seed: int, voices: tuple[str, str], form: str, speeds: tuple[int, int] = (165, 165),
               snr_db: float = 35.0, reading: dict | None = None) -> Callable[[Path, Item], None]:
    def build(folder: Path, item: Item) -> None:
        script = reading_script(**reading) if reading is not None else conversation_script(shape, minutes, seed)
        cast = dict(zip((INTERVIEWER, PARTICIPANT), voices))
        conversation: Conversation = record(
            script, cast, folder / f"work-{item.name}", item.name, form, dict(zip((INTERVIEWER, PARTICIPANT), speeds)), snr_db, seed=seed
        )
        target = folder / conversation.path.name
        shutil.move(conversation.path, target)
        shutil.rmtree(conversation.path.parent)
        item.path, item.duration, item.channels = target.name, round(conversation.duration, 3), conversation.channels
        item.reference = conversation.reference
        item.by_speaker = conversation.reference_by_speaker()
    return build


def _shared(name: str, turns_by: str | None = None) -> Callable[[Path, Item], None]:
    def build(folder: Path, item: Item) -> None:
        from transcribe.ingest.audio import load_audio

        source = SHARED_AUDIO / name
        shutil.copyfile(source, folder / name)
        facts = json.loads((SHARED_AUDIO / "references.json").read_text())[name]
        item.path, item.duration = name, round(load_audio(source).duration, 3)
        if turns_by:
            item.by_speaker = {turn[turns_by]: turn["text"] for turn in facts["turns"]}
            item.reference = " ".join(turn["text"] for turn in facts["turns"])
            item.channels = "stereo"
        else:
            item.reference = facts["text"]
    return build


def _pyannote_sample(folder: Path, item: Item) -> None:
    import pyannote.audio

    sample = Path(pyannote.audio.__file__).parent / "sample"
    shutil.copyfile(sample / "sample.wav", folder / "sample.wav")
    rows = [line.split(None, 5) for line in (sample / "sample.stm").read_text().splitlines()]
    item.path, item.duration = "sample.wav", 30.0
    item.reference = " ".join(row[5] for row in rows)
    by: dict[str, list[str]] = {}
    for row in rows:
        by.setdefault(row[2], []).append(row[5])
    item.by_speaker = {speaker: " ".join(texts) for speaker, texts in by.items()}


def _item(name: str, half: str, source: str, language: str, what: str) -> Item:
    return Item(name, half, source, language, what)


CORPUS: list[Entry] = [
    # --- tuning half --------------------------------------------------------------------
    Entry(_item("t-recurring", "tuning", "conversations", "en", "opening and questions recur; 8 kHz mono mu-law"),
          _synthetic("recurring", 6, 101, ("en-gb-x-rp+m2", "en-us+f2"), "mono8k-mulaw", (170, 160))),
    Entry(_item("t-monologue", "tuning", "conversations", "en", "long answers, no pause of 0.4 s; 16 kHz mono, noise 25 dB"),
          _synthetic("monologue", 5, 102, ("en-gb-scotland+m4", "en-029+f4"), "mono16k", (165, 175), snr_db=25)),
    Entry(_item("t-rapid", "tuning", "conversations", "en", "rapid turn-taking, overlaps; 8 kHz stereo"),
          _synthetic("rapid", 5, 103, ("en-us-nyc+m1", "en-gb+f1"), "stereo8k", (175, 170))),
    Entry(_item("t-backchannels", "tuning", "conversations", "en", "backchannels over most answers; 8 kHz mono mu-law, fast"),
          _synthetic("backchannels", 5, 104, ("en-gb-x-gbcwmd+m5", "en-us+f4"), "mono8k-mulaw", (185, 180))),
    Entry(_item("t-reading", "tuning", "conversations", "en", "a numbered list read without a pause, 175 wpm; 16 kHz mono"),
          _synthetic(None, 0, 105, ("en-us", "en-us"), "mono16k", (175, 175), reading={"items": 60})),
    Entry(_item("sample", "tuning", "pyannote", "en", "real two-party telephone call (pyannote.audio's sample.wav)"), _pyannote_sample),
    Entry(_item("jfk", "tuning", "faster-whisper", "en", "real English speech"), _shared("jfk.flac")),
    Entry(_item("npsc-short", "tuning", "npsc", "no", "real Norwegian parliament speech"), _shared("npsc-short-3s.mp3")),
    # --- reporting half -----------------------------------------------------------------
    Entry(_item("r-recurring", "reporting", "conversations", "en", "opening and questions recur; 8 kHz mono mu-law"),
          _synthetic("recurring", 7, 201, ("en-us+m7", "en-gb-scotland+f3"), "mono8k-mulaw", (165, 170))),
    Entry(_item("r-monologue", "reporting", "conversations", "en", "long answers, no pause of 0.4 s; 8 kHz stereo, fast"),
          _synthetic("monologue", 5, 202, ("en-gb+m6", "en-us+f3"), "stereo8k", (180, 185))),
    Entry(_item("r-rapid", "reporting", "conversations", "en", "rapid turn-taking, overlaps; 16 kHz mono, noise 20 dB"),
          _synthetic("rapid", 5, 203, ("en-029+m2", "en-gb-x-rp+f1"), "mono16k", (170, 175), snr_db=20)),
    Entry(_item("r-backchannels", "reporting", "conversations", "en", "backchannels over most answers; 8 kHz stereo"),
          _synthetic("backchannels", 5, 204, ("en-us-nyc+f2", "en-gb-x-gbcwmd+m3"), "stereo8k", (170, 165))),
    Entry(_item("r-reading", "reporting", "conversations", "en", "a numbered list read without a pause, 185 wpm; 8 kHz mono mu-law"),
          _synthetic(None, 0, 205, ("en-gb+m1", "en-gb+m1"), "mono8k-mulaw", (185, 185), reading={"items": 60, "first": 101, "noun": "row"})),
    Entry(_item("stereo-diarization", "reporting", "faster-whisper", "en", "two real speakers, one per channel, overlapping"),
          _shared("stereo_diarization.wav", turns_by="channel")),
    Entry(_item("king", "reporting", "nb-whisper", "no", "real Norwegian public speech (approximate reference)"), _shared("king.mp3")),
    Entry(_item("npsc-medium", "reporting", "npsc", "no", "real Norwegian parliament speech with names"), _shared("npsc-medium-8s.mp3")),
]


def build(folder: Path) -> list[Item]:
    """The corpus in `folder`, built where missing; its manifest is folder/corpus.json."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "corpus.json"
    known = {i["name"]: Item(**i) for i in json.loads(manifest.read_text())} if manifest.exists() else {}
    items = []
    for entry in CORPUS:
        item = known.get(entry.item.name)
        if item is None or not (folder / item.path).exists():
            item = Item(**asdict(entry.item))
            print(f"building {item.name}", file=sys.stderr)
            entry.build(folder, item)
        items.append(item)
    manifest.write_text(json.dumps([asdict(i) for i in items], indent=1, ensure_ascii=False))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "corpus")
    items = build(parser.parse_args().out)
    for half in HALVES:
        chosen = [i for i in items if i.half == half]
        print(f"{half}: {len(chosen)} files, {sum(i.duration for i in chosen) / 60:.1f} min, "
              f"sources {', '.join(sorted({i.source for i in chosen}))}")


if __name__ == "__main__":
    main()
