"""The review page: the transcript beside an audio player, to check it against the
recording and correct it there.

One self-contained HTML file (inline CSS and JS, nothing fetched) that works from `file://`
with no server: click a line's time to hear it from its start, the line being heard is
highlighted, words Whisper was unsure of are marked with their probabilities. The page is
also an editor: select words (click, shift-click) and change them, give them to another
speaker, start a new turn at a word or join a turn to the one before, mark or unmark
[unclear]. Every change is kept in the browser's local storage until it is saved as a
corrections file (a download) for `transcribe corrections apply`; nothing is ever sent.
Keys follow oTranscribe's habits: Esc plays or pauses, F1/F2 go back or forward 3 s,
F3/F4 play slower or faster, Alt+N/Alt+P select the next or previous unsure word.

The page names the recording by its file name only (a path can reveal who took part) and
plays it when it sits beside the page; anywhere else the researcher opens the recording
from disk with the page's file picker. A Content-Security-Policy lets the page load
nothing but that recording and run only its own script and style (by their hashes), so
even text that slipped past escaping would not run, and no request can leave the page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from pathlib import Path
from urllib.parse import quote

from ..conventions import clock, conventions_of
from ..guide.matching import asked_in
from ..transcript import Transcript, Word
from ._turns import Piece, Said, Turn, Unclear, piece_text, turns_of

SPEAKER_COLOURS = 4  # speakers take turns through this many colours
SKIP_S = 3.0  # F1/F2 go back or forward this far

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #222; }
header { position: sticky; top: 0; background: #f4f4f4; border-bottom: 1px solid #ccc; padding: .5em 1em; z-index: 1; }
h1 { font-size: 1.1em; margin: 0 0 .3em; }
audio { width: 100%; }
.hint { color: #a33; }
.hint[hidden] { display: none; }
.tools button, .tools select { margin: .1em .2em .1em 0; }
.status { color: #555; margin-left: .5em; }
main { padding: .5em 1em; max-width: 60em; }
.turn { margin: 0; padding: .2em .4em; border-left: 4px solid transparent; }
.turn.playing { background: #ffe9a8; border-left-color: #d90; }
.turn.merged { border-left: 4px dashed #888; }
.time { color: #666; font-variant-numeric: tabular-nums; cursor: pointer; }
.time:hover, .time:focus { text-decoration: underline; }
.speaker { font-weight: bold; }
.speaker-0 .speaker { color: #1f5fa8; }
.speaker-1 .speaker { color: #a8481f; }
.speaker-2 .speaker { color: #2e7d32; }
.speaker-3 .speaker { color: #6a3fa0; }
.mark { color: #777; }
.w { cursor: text; border-radius: 2px; }
.w.u { background: #ffc9c9; }
.w.selected { outline: 2px solid #36c; }
.w.edited { background: #d4f5d4; }
.w.reassigned { text-decoration: underline dotted #a8481f 2px; }
.w.split::before { content: "\\00b6 "; color: #36c; font-weight: bold; }
.guide { margin: .6em 0 0; font-weight: bold; color: #2e5d2e; }
.guide.check::after { content: " (check)"; color: #a33; font-weight: normal; }
kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 .2em; font-size: .85em; }
"""

_SCRIPT = r"""
const data = JSON.parse(document.getElementById("page-data").textContent);
const audio = document.querySelector("audio");
const hint = document.querySelector(".hint");
const main = document.querySelector("main");
const status = document.querySelector(".status");
const speakerChoice = document.querySelector("select.speaker-choice");
const guideChoice = document.querySelector("select.guide-choice");
const original = main.innerHTML;
const editable = data.editable;  // not a pseudonymized page: corrections go to the transcript as transcribed
const storageKey = "transcribe-corrections:" + data.fingerprint;
let edits = JSON.parse(localStorage.getItem(storageKey) || "[]");
let selection = [];
let anchor = null;
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

function lines() { return Array.from(main.querySelectorAll(".turn")); }
function words() { return Array.from(main.querySelectorAll(".w")); }
function idsOf(spans) { return [...new Set(spans.flatMap((w) => w.dataset.ids.split(" ")))]; }
function spansOf(ids) { return words().filter((w) => w.dataset.ids.split(" ").some((id) => ids.includes(id))); }

function playFrom(seconds) {
  audio.currentTime = seconds;
  audio.play().catch(() => {});  // a recording that cannot be loaded: the hint explains
}
for (const time of main.querySelectorAll(".time")) {
  time.addEventListener("click", () => playFrom(Number(time.closest(".turn").dataset.start)));
  time.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); playFrom(Number(time.closest(".turn").dataset.start)); }
  });
}

function select(spans) {
  for (const w of selection) w.classList.remove("selected");
  selection = spans;
  for (const w of selection) w.classList.add("selected");
  if (spans.length) {
    const speaker = spans[0].dataset.speaker;
    const others = data.speakers.filter((s) => s.id !== speaker);
    if (others.length && others.every((s) => s.id !== speakerChoice.value)) speakerChoice.value = others[0].id;
  }
}
main.addEventListener("click", (event) => {
  const word = event.target.closest(".w");
  if (!word || !editable) return;
  const all = words();
  if (event.shiftKey && anchor && all.includes(anchor)) {
    const [a, b] = [all.indexOf(anchor), all.indexOf(word)].sort((x, y) => x - y);
    select(all.slice(a, b + 1));
  } else {
    anchor = word;
    select([word]);
    audio.currentTime = Number(word.dataset.start);
  }
});
main.addEventListener("dblclick", (event) => { if (editable && event.target.closest(".w")) editWords(); });

function record(edit) {
  edits.push(edit);
  localStorage.setItem(storageKey, JSON.stringify(edits));
  show(edit);
  report();
}
function report(text) {
  status.textContent = text || (edits.length ? `${edits.length} correction${edits.length === 1 ? "" : "s"}, kept in this browser until saved` : "");
}
function describe(op, spans, more) {
  return Object.assign({ op: op, ids: idsOf(spans), was: spans.map((w) => w.textContent).join(" ").split(" ").filter(Boolean),
                         start: Number(spans[0].dataset.start) }, more);
}

// Each edit as the page shows it, from its ids alone (so that undo can replay them).
function show(edit) {
  const spans = spansOf(edit.ids);
  if (!spans.length) return;
  if (edit.op === "words") {
    const first = spans[0];
    for (const w of spans.slice(1)) { const gap = w.previousSibling; if (gap && gap.nodeType === 3) gap.remove(); w.remove(); }
    first.dataset.ids = edit.ids.join(" ");
    first.textContent = edit.text;
    first.classList.add("edited");
    first.classList.remove("u");
    if (!edit.text) first.hidden = true;
  } else if (edit.op === "unclear") {
    for (const w of spans) w.classList.toggle("u", edit.unclear);
  } else if (edit.op === "speaker") {
    const label = (data.speakers.find((s) => s.id === edit.speaker) || {}).label || edit.speaker;
    for (const w of spans) { w.dataset.speaker = edit.speaker; w.classList.add("reassigned"); w.title = "now: " + label; }
  } else if (edit.op === "split") {
    spans[0].classList.add("split");
  } else if (edit.op === "merge") {
    spans[0].closest(".turn").classList.add("merged");
  } else if (edit.op === "guide") {
    const line = spans[0].closest(".turn");
    while (line.previousElementSibling && line.previousElementSibling.classList.contains("guide")) line.previousElementSibling.remove();
    const question = (data.guide || []).find((q) => q.code === edit.code);
    if (question) {
      const marker = document.createElement("p");
      marker.className = "guide";
      marker.textContent = `${question.code}: ${question.question}`;
      line.before(marker);
    }
  }
}

function editWords() {
  if (!selection.length) return report("Select the words to change first (click, shift-click).");
  const spans = selection;
  const input = document.createElement("input");
  input.value = spans.map((w) => w.textContent).join(" ");
  input.size = Math.max(8, input.value.length + 2);
  input.setAttribute("aria-label", "the words as said");
  spans[0].before(input);
  for (const w of spans) w.hidden = true;
  input.focus();
  input.select();
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    const text = input.value.trim().replace(/\s+/g, " ");
    input.remove();
    for (const w of spans) w.hidden = false;
    if (keep && text !== spans.map((w) => w.textContent).join(" ")) record(describe("words", spans, { text: text }));
    select([]);
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); finish(false); }
  });
  input.addEventListener("blur", () => finish(true));
}
function giveToSpeaker() {
  if (!selection.length) return report("Select the words another speaker said first.");
  record(describe("speaker", selection, { speaker: speakerChoice.value }));
}
function splitTurn() {
  if (!selection.length) return report("Select the word the new turn starts with first.");
  record(describe("split", selection.slice(0, 1)));
}
function mergeTurn() {
  if (!selection.length) return report("Select a word of the turn to join to the one before first.");
  const first = selection[0].closest(".turn").querySelector(".w");
  record(describe("merge", [first]));
}
function codeTurn() {
  if (!selection.length || !guideChoice) return report("Select a word of the turn that asks the question first.");
  const first = selection[0].closest(".turn").querySelector(".w");
  record(describe("guide", [first], { code: guideChoice.value }));
}
function toggleUnclear() {
  if (!selection.length) return report("Select the words first.");
  record(describe("unclear", selection, { unclear: !selection.every((w) => w.classList.contains("u")) }));
}
function undo() {
  if (!edits.length) return;
  edits.pop();
  localStorage.setItem(storageKey, JSON.stringify(edits));
  main.innerHTML = original;
  selection = [];
  for (const edit of edits) show(edit);
  report();
}
function save() {
  const file = { format: "transcribe-corrections", version: 1, transcript: data.transcript, fingerprint: data.fingerprint,
                 saved: new Date().toISOString(), edits: edits };
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(file, null, 1)], { type: "application/json" }));
  link.download = data.transcript.replace(/\.json$/, "") + ".corrections.json";
  link.click();
  report(`${edits.length} corrections saved as ${link.download}: apply them with transcribe corrections apply`);
}
function discard() {
  if (!confirm("Forget every correction made on this page?")) return;
  edits = [];
  localStorage.removeItem(storageKey);
  main.innerHTML = original;
  report();
}
function unsure(step) {
  const all = words().filter((w) => w.classList.contains("u") && !w.hidden);
  if (!all.length) return;
  const at = selection.length ? Number(selection[0].dataset.start) : audio.currentTime;
  const next = step > 0 ? all.find((w) => Number(w.dataset.start) > at + 0.001) || all[0]
                        : all.reverse().find((w) => Number(w.dataset.start) < at - 0.001) || all[0];
  anchor = next;
  select([next]);
  next.scrollIntoView({ block: "nearest" });
  audio.currentTime = Math.max(0, Number(next.dataset.start) - 1);
}

const buttons = { edit: editWords, speaker: giveToSpeaker, split: splitTurn, merge: mergeTurn, unclear: toggleUnclear, guide: codeTurn,
                  undo: undo, save: save, discard: discard };
for (const button of document.querySelectorAll(".tools button")) button.addEventListener("click", () => buttons[button.dataset.do]());

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea")) return;
  const key = event.key;
  const handled = (fn) => { event.preventDefault(); fn(); };
  if (key === "Escape") return handled(() => (audio.paused ? audio.play().catch(() => {}) : audio.pause()));
  if (key === "F1") return handled(() => { audio.currentTime = Math.max(0, audio.currentTime - %SKIP%); });
  if (key === "F2") return handled(() => { audio.currentTime += %SKIP%; });
  if (key === "F3") return handled(() => { audio.playbackRate = Math.max(0.5, +(audio.playbackRate - 0.1).toFixed(2)); report(`speed ${audio.playbackRate}`); });
  if (key === "F4") return handled(() => { audio.playbackRate = Math.min(2, +(audio.playbackRate + 0.1).toFixed(2)); report(`speed ${audio.playbackRate}`); });
  if (event.altKey && (key === "n" || key === "N")) return handled(() => unsure(1));
  if (event.altKey && (key === "p" || key === "P")) return handled(() => unsure(-1));
  if (!editable) return;
  if ((event.ctrlKey || event.metaKey) && key === "s") return handled(save);
  if ((event.ctrlKey || event.metaKey) && key === "z") return handled(undo);
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (key === "Enter" || key === "e") return handled(editWords);
  if (key === "s") return handled(giveToSpeaker);
  if (key === "t") return handled(splitTurn);
  if (key === "j") return handled(mergeTurn);
  if (key === "u") return handled(toggleUnclear);
  if (key === "g") return handled(codeTurn);
});

if (editable) for (const edit of edits) show(edit);
if (editable) report(edits.length ? `${edits.length} corrections restored from this browser (not yet saved)` : "");

// Lines are in order of their start: the one heard is the last started that has not
// ended (a backchannel inside a longer turn), else the last started.
function lineAt(time) {
  let started = null, during = null;
  for (const line of lines()) {
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
""".replace("%SKIP%", f"{SKIP_S:g}")


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# The page may load the recording (beside it, or opened from disk as a blob) and nothing
# else; of scripts and styles only its own run.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; media-src 'self' file: blob:; style-src {_hash(_STYLE)}; "
    f"script-src {_hash(_SCRIPT)}; base-uri 'none'; form-action 'none'"
)

_PLAY_HELP = (
    "Click a line's time to hear it from its start. <kbd>Esc</kbd> play or pause, <kbd>F1</kbd>/<kbd>F2</kbd> "
    f"back or forward {SKIP_S:g} s, <kbd>F3</kbd>/<kbd>F4</kbd> slower or faster; "
    '<mark class="w u">marked</mark> words were hard to hear (hover for their probability). This page is '
    "pseudonymized: correct the transcript on its page in the study's restricted folder."
)
_HELP = (
    "Click a line's time to hear it from its start; click a word to select it (shift-click for more), then "
    "<kbd>E</kbd> change the words, <kbd>S</kbd> give them to the speaker chosen, <kbd>T</kbd> start a new turn there, "
    "<kbd>J</kbd> join the turn to the one before, <kbd>U</kbd> mark or unmark [unclear], <kbd>G</kbd> the turn asks the guide question chosen, <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo, "
    "<kbd>Ctrl</kbd>+<kbd>S</kbd> save the corrections. Playing: <kbd>Esc</kbd> play or pause, <kbd>F1</kbd>/<kbd>F2</kbd> "
    f"back or forward {SKIP_S:g} s, <kbd>F3</kbd>/<kbd>F4</kbd> slower or faster, <kbd>Alt</kbd>+<kbd>N</kbd>/<kbd>P</kbd> "
    'next or previous <mark class="w u">unsure</mark> word (hover for its probability).'
)


def render_review_page(transcript: Transcript) -> str:
    """The review page of `transcript`, under the conventions it was made with (an editor
    unless the transcript is pseudonymized)."""
    conventions = conventions_of(transcript)
    # A pseudonymized transcript is read-only here: corrections go to the one as transcribed.
    editable = transcript.stage("pseudonymize") is None
    ids = {id(w): f"{i}.{j}" for i, s in enumerate(transcript.segments) for j, w in enumerate(s.words)}
    colours = {s.id: i % SPEAKER_COLOURS for i, s in enumerate(transcript.speakers)}
    turns = turns_of(transcript, conventions)
    recording = transcript.recording.source_name
    lines = "".join(_guide_marker(transcript, turn) + _line(turn, colours.get(turn.speaker, 0), ids) for turn in turns) or "<p>No speech was transcribed.</p>\n"
    lang = f' lang="{escape(transcript.language)}"' if transcript.language else ""
    data = {
        "fingerprint": transcript.fingerprint(),
        "transcript": Path(recording).stem + ".json",  # as output_paths names it
        "speakers": [{"id": s.id, "label": s.label} for s in transcript.speakers],
        "editable": editable,
        "guide": [{"code": q.code, "question": q.question} for q in transcript.guide.questions] if transcript.guide else None,
    }
    page_data = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" in it
    guide_tools = ""
    if transcript.guide is not None:
        options = "".join(f'<option value="{escape(q.code)}">{escape(q.code)}</option>' for q in transcript.guide.questions)
        guide_tools = (f'<button type="button" data-do="guide">Asks guide question</button><select class="guide-choice" '
                       f'aria-label="the guide question the turn asks"><option value="">(none)</option>{options}</select>')
    choices = "".join(f'<option value="{escape(s.id)}">{escape(s.label)}</option>' for s in transcript.speakers)
    tools = f"""<div class="tools" role="toolbar" aria-label="corrections">
<button type="button" data-do="edit">Change words</button>
<button type="button" data-do="speaker">Give to</button><select class="speaker-choice" aria-label="the speaker to give the words to">{choices}</select>
<button type="button" data-do="split">New turn here</button>
<button type="button" data-do="merge">Join to turn before</button>
<button type="button" data-do="unclear">[unclear] on/off</button>
{guide_tools}
<button type="button" data-do="undo">Undo</button>
<button type="button" data-do="save">Save corrections</button>
<button type="button" data-do="discard">Discard</button>
</div>
""" if editable else ""
    keys = _HELP if editable else _PLAY_HELP
    return f"""<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(recording)}: review</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(recording)}</h1>
<audio controls preload="metadata" src="{escape(quote(recording, safe=''))}"></audio>
<p><label>Open the recording… <input type="file" accept="audio/*,video/*"></label>
<span class="hint" hidden>The recording {escape(recording)} is not beside this page: open it with the button.</span></p>
{tools}<p class="status" role="status"></p>
<details><summary>Keys</summary><p>{keys}</p></details>
</header>
<main>
{lines}</main>
<script type="application/json" id="page-data">{page_data}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _guide_marker(transcript: Transcript, turn: Turn) -> str:
    """A heading for each interview guide question the turn asks."""
    return "".join(f'<p class="guide{"" if m.confident else " check"}">{escape(q.code)}: {escape(q.question)}</p>\n'
                   for m, q in asked_in(transcript, turn.start, turn.end))


def _line(turn: Turn, colour: int, ids: dict[int, str]) -> str:
    pieces = " ".join(_piece(piece, turn.speaker, ids) for piece in turn.pieces)
    return (
        f'<p class="turn speaker-{colour}" data-start="{turn.start:.3f}" data-end="{turn.end:.3f}">'
        f'<span class="time" tabindex="0">[{clock(turn.start)}]</span> <span class="speaker">{escape(turn.label)}:</span> {pieces}</p>\n'
    )


def _piece(piece: Piece, speaker: str, ids: dict[int, str]) -> str:
    if isinstance(piece, (Said, Unclear)) and piece.words:
        return " ".join(_word(word, speaker, ids, isinstance(piece, Unclear)) for word in piece.words)
    text = escape(piece_text(piece))
    if isinstance(piece, Said):
        return text
    if isinstance(piece, Unclear):
        return f'<mark class="unclear">{text}</mark>'
    return f'<span class="mark">{text}</span>'


def _word(word: Word, speaker: str, ids: dict[int, str], unsure: bool) -> str:
    title = f' title="probability {word.probability:.2f}"' if unsure else ""
    return (f'<span class="w{" u" if unsure else ""}" data-ids="{ids[id(word)]}" data-speaker="{escape(speaker)}" '
            f'data-start="{word.start:.3f}"{title}>{escape(word.text)}</span>')
