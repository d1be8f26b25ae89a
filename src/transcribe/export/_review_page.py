"""A review page: the transcript beside an audio player, to check it against the recording.

One self-contained HTML file (inline CSS and JS, nothing fetched): click a line to hear it
from its start, the line being heard is highlighted, and words Whisper was unsure of are
marked with their probabilities. The page names the recording by its file name only (a
path can reveal who took part) and plays it when it sits beside the page; anywhere else
the researcher opens the recording from disk with the page's file picker. A
Content-Security-Policy lets the page load nothing but that recording, and runs only its
own script and style (by their hashes), so even text that slipped past escaping would
not run.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import quote

from ..conventions import clock
from ..transcript import Transcript, Word
from ._turns import Piece, Said, Turn, Unclear, conventions_of, piece_text, turns_of

SPEAKER_COLOURS = 4  # speakers take turns through this many colours

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #222; }
header { position: sticky; top: 0; background: #f4f4f4; border-bottom: 1px solid #ccc; padding: .5em 1em; }
h1 { font-size: 1.1em; margin: 0 0 .3em; }
audio { width: 100%; }
.hint { color: #a33; }
.hint[hidden] { display: none; }
main { padding: .5em 1em; max-width: 60em; }
.turn { margin: 0; padding: .2em .4em; border-left: 4px solid transparent; cursor: pointer; }
.turn:hover, .turn:focus { background: #eef; }
.turn.playing { background: #ffe9a8; border-left-color: #d90; }
.time { color: #666; font-variant-numeric: tabular-nums; }
.speaker { font-weight: bold; }
.speaker-0 .speaker { color: #1f5fa8; }
.speaker-1 .speaker { color: #a8481f; }
.speaker-2 .speaker { color: #2e7d32; }
.speaker-3 .speaker { color: #6a3fa0; }
.mark { color: #777; }
mark.unclear { background: #ffc9c9; }
"""

_SCRIPT = """
const audio = document.querySelector("audio");
const hint = document.querySelector(".hint");
const lines = Array.from(document.querySelectorAll(".turn"));
let objectUrl = null;

document.querySelector("input[type=file]").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = URL.createObjectURL(file);
  audio.src = objectUrl;
  hint.hidden = true;
});
audio.addEventListener("error", () => { hint.hidden = false; });
audio.addEventListener("loadedmetadata", () => { hint.hidden = true; });

function play(line) {
  audio.currentTime = Number(line.dataset.start);
  // A recording that cannot be loaded is explained by the hint (the "error" event).
  audio.play().catch(() => {});
}
for (const line of lines) {
  line.addEventListener("click", () => play(line));
  line.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); play(line); }
  });
}

// Lines are in order of their start: the one heard is the last started that has not
// ended (a backchannel inside a longer turn), else the last started.
function lineAt(time) {
  let started = null, during = null;
  for (const line of lines) {
    if (Number(line.dataset.start) > time) break;
    started = line;
    if (time < Number(line.dataset.end)) during = line;
  }
  return during || started;
}
let current = null;
audio.addEventListener("timeupdate", () => {
  const line = lineAt(audio.currentTime);
  if (line === current) return;
  if (current) { current.classList.remove("playing"); current.removeAttribute("aria-current"); }
  current = line;
  if (!line) return;
  line.classList.add("playing");
  line.setAttribute("aria-current", "true");
  if (!audio.paused) line.scrollIntoView({ block: "nearest" });
});
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# The page may load the recording (beside it, or opened from disk as a blob) and nothing
# else; of scripts and styles only its own run.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; media-src 'self' file: blob:; style-src {_hash(_STYLE)}; "
    f"script-src {_hash(_SCRIPT)}; base-uri 'none'; form-action 'none'"
)


def render_review_page(transcript: Transcript) -> str:
    """The review page of `transcript`, under the conventions it was made with."""
    conventions = conventions_of(transcript)
    unsure = [(s.speaker, w) for s in transcript.segments for w in s.words if w.probability < conventions.unclear_below]
    colours = {s.id: i % SPEAKER_COLOURS for i, s in enumerate(transcript.speakers)}
    turns = turns_of(transcript, conventions)
    name = transcript.recording.source_name
    lines = "".join(_line(turn, colours.get(turn.speaker, 0), unsure) for turn in turns) or "<p>No speech was transcribed.</p>\n"
    lang = f' lang="{escape(transcript.language)}"' if transcript.language else ""
    return f"""<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(name)}: review</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(name)}</h1>
<audio controls preload="metadata" src="{escape(quote(name, safe=''))}"></audio>
<p><label>Open the recording… <input type="file" accept="audio/*,video/*"></label>
<span class="hint" hidden>The recording {escape(name)} is not beside this page: open it with the button.</span></p>
<p>Click a line to hear it from its start; <mark class="unclear">marked</mark> words were hard to hear (hover for their probability).</p>
</header>
<main>
{lines}</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _line(turn: Turn, colour: int, unsure: list[tuple[str, Word]]) -> str:
    pieces = " ".join(_piece(piece, turn.speaker, unsure) for piece in turn.pieces)
    return (
        f'<p class="turn speaker-{colour}" tabindex="0" data-start="{turn.start:.3f}" data-end="{turn.end:.3f}">'
        f'<span class="time">[{clock(turn.start)}]</span> <span class="speaker">{escape(turn.label)}:</span> {pieces}</p>\n'
    )


def _piece(piece: Piece, speaker: str, unsure: list[tuple[str, Word]]) -> str:
    text = escape(piece_text(piece))
    if isinstance(piece, Said):
        return text
    if isinstance(piece, Unclear):
        probabilities = [w.probability for s, w in unsure if s == speaker and piece.start <= w.start and w.end <= piece.end]
        noun = "probability" if len(probabilities) == 1 else "probabilities"
        title = f' title="{noun} {", ".join(f"{p:.2f}" for p in probabilities)}"' if probabilities else ""
        return f'<mark class="unclear"{title}>{text}</mark>'
    return f'<span class="mark">{text}</span>'
