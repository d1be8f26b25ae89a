"""The HTML review page: the transcript beside an audio player, checked as markup and in
a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_wav
from test_outputs import make_transcript, segment

from transcribe.conventions import conventions_of
from transcribe.export._review_page import render_review_page
from transcribe.export._turns import turns_of
from transcribe.export.writers import WRITERS
from transcribe.transcript import ModelInfo, Transcript


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def lines(page: str) -> list[dict[str, str | None]]:
    return [a for t, a in Elements(page).tags if "turn" in (a.get("class") or "").split()]


def line_texts(page: str) -> list[str]:
    """Each line's text as the reader sees it."""
    return [unescape(re.sub(r"<[^>]+>", "", line)) for line in re.findall(r'<p class="turn[^"]*"[^>]*>(.*?)</p>', page)]


def test_there_is_a_line_per_turn_starting_where_the_turn_starts():
    transcript = make_transcript()
    page = render_review_page(transcript)
    turns = turns_of(transcript, conventions_of(transcript))
    assert [float(line["data-start"]) for line in lines(page)] == [t.start for t in turns] == [5.2, 8.0, 3723.0]
    assert "[00:00:08] SPEAKER_01: Um, fine, thanks. (.) And you?" in line_texts(page)
    assert WRITERS["html"]().render(transcript) == page and WRITERS["html"].suffix == ".html"


def test_text_labels_and_the_recordings_name_cannot_become_markup():
    transcript = make_transcript()
    transcript.recording.source_name = 'talk "1" <b> & #2 ø.wav'
    transcript.speakers[0].label = "<i>interviewer"
    transcript.segments[0] = segment(5.2, "SPEAKER_00", "I <script>alert(1)</script> & \"you\" 'too'")
    page = render_review_page(transcript)
    elements = Elements(page)
    assert [a.get("type") for a in elements.find("script")] == ["application/json", None]  # data, and the page's one script
    assert not elements.find("i") and not elements.find("b")
    assert "[00:00:05] <i>interviewer: I <script>alert(1)</script> & \"you\" 'too'" in line_texts(page)
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</span>" in page and ">&quot;you&quot;</span>" in page
    assert "&lt;i&gt;interviewer:" in page
    # the name percent-encoded in the player's address ("#" would start a fragment), escaped as text
    assert elements.find("audio")[0]["src"] == "talk%20%221%22%20%3Cb%3E%20%26%20%232%20%C3%B8.wav"
    assert "<h1>talk &quot;1&quot; &lt;b&gt; &amp; #2 ø.wav</h1>" in page


def test_unsure_words_are_marked_with_their_probabilities():
    transcript = make_transcript()
    transcript.segments[0].words[1].probability = 0.12  # "are"
    transcript.segments.insert(3, segment(20.0, "SPEAKER_00", "mumbled words", probability=0.2))
    page = render_review_page(transcript)
    marked = re.findall(r'<span class="w u"[^>]* title="([^"]*)">([^<]*)</span>', page)
    assert marked == [("probability 0.12", "are"), ("probability 0.20", "mumbled"), ("probability 0.20", "words")]


def test_the_page_is_the_same_for_the_same_transcript_and_names_no_path():
    transcript = make_transcript()
    transcript.language = "nb"
    transcript.provenance.models = [ModelInfo("asr", "base", "/home/anna/models/base.pt")]
    transcript.provenance.settings = {"output": "/home/anna/interviews"}
    page = render_review_page(transcript)
    assert render_review_page(Transcript.from_dict(transcript.to_dict())) == page  # as `export` renders it again
    assert "/home" not in page and "anna" not in page and "file://" not in page
    assert '<html lang="nb">' in page
    assert not re.search(r"(src|href)=\"(https?:|//)", page)  # nothing loaded from anywhere
    assert '<meta name="referrer" content="no-referrer">' in page


# In the browser -------------------------------------------------------------------------


RECORDING = "interview #1 ø.wav"  # "#" and "ø": the page must address the file by its name


def review_transcript():
    """Four turns in an 8-second recording; the third one carries markup that must stay text."""
    transcript = make_transcript()
    transcript.recording.source_name = RECORDING
    transcript.recording.duration = 8.0
    transcript.segments = [
        segment(0.5, "SPEAKER_00", "How are you?"),
        segment(2.0, "SPEAKER_01", "Fine, thanks."),
        segment(4.0, "SPEAKER_00", 'Good <img src="https://example.com/x.png"> <script>window.injected=1</script>', probability=0.1),
        segment(6.0, "SPEAKER_01", "Bye."),
    ]
    return transcript


def open_page(browser, page_file: Path):
    """The page opened from disk, with every request and console error it causes."""
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    return page, requests, errors


def click_third_line(page) -> None:
    # Functions, not expressions: Playwright evals an expression in the page, and the
    # page's policy forbids eval.
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1")  # the recording is loaded
    assert page.evaluate("document.querySelector('audio').duration") == pytest.approx(8.0, abs=0.01)
    page.locator(".turn .time").nth(2).click()
    assert page.evaluate("document.querySelector('audio').currentTime") == pytest.approx(4.0, abs=0.5)
    page.wait_for_function("() => !document.querySelector('audio').paused")  # it plays ...
    page.wait_for_selector(".turn.playing[data-start='4.000']")  # ... and the line heard is highlighted
    assert page.locator(".turn.playing").count() == 1
    assert page.evaluate("window.injected") is None


def test_clicking_a_line_plays_the_recording_beside_the_page_from_the_lines_start(browser, tmp_path):
    write_wav(tmp_path / RECORDING, 0.2 * np.sin(np.arange(8 * 16000) * 2 * np.pi * 440 / 16000))
    page_file = tmp_path / "interview.html"
    page_file.write_text(render_review_page(review_transcript()), encoding="utf-8")
    page, requests, errors = open_page(browser, page_file)
    click_third_line(page)
    assert page.is_hidden(".hint")
    assert errors == []  # a Content-Security-Policy violation would be a console error
    assert page_file.as_uri() in requests and all(url.startswith("file://") for url in requests), requests
    page.close()


def test_the_recording_can_be_opened_with_the_file_picker_from_anywhere(browser, tmp_path):
    (tmp_path / "recordings").mkdir()
    (tmp_path / "pages").mkdir()
    recording = write_wav(tmp_path / "recordings" / RECORDING, 0.2 * np.sin(np.arange(8 * 16000) / 5))
    page_file = tmp_path / "pages" / "interview.html"
    page_file.write_text(render_review_page(review_transcript()), encoding="utf-8")
    page, requests, errors = open_page(browser, page_file)
    page.wait_for_selector(".hint", state="visible")  # the recording is not beside the page
    page.set_input_files("input[type=file]", recording)
    assert page.evaluate("document.querySelector('audio').src").startswith("blob:")
    click_third_line(page)
    assert page.is_hidden(".hint")
    assert all(url.startswith(("file://", "blob:")) for url in requests), requests
    # only the missing recording beside the page, nothing blocked by the policy
    assert all("ERR_FILE_NOT_FOUND" in e for e in errors), errors
    page.close()
