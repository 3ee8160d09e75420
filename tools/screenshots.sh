#!/usr/bin/env bash
# Screenshots of the built book as a reader sees it, offline, in headless Chromium (for humans, not CI).
#   tools/screenshots.sh [BUILD=_build/html] [OUT=/tmp/ibutils-screenshots] [PAGES...]
# Default pages: the intro, a harmonics page, the activations overview and the scorecard (issue 20).
# The network is blocked (--proxy-server to a closed port), so MathJax must come from the book itself.
set -euo pipefail
BUILD="${BUILD:-_build/html}"
OUT="${OUT:-/tmp/ibutils-screenshots}"
CHROMIUM="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$CHROMIUM" ] || { echo "chromium not installed (apt-get install -y chromium)" >&2; exit 1; }
[ -d "$BUILD" ] || { echo "$BUILD: no built book (make book first)" >&2; exit 1; }
mkdir -p "$OUT"
PAGES=("$@")
[ ${#PAGES[@]} -gt 0 ] || PAGES=(book/intro book/executed/harmonics_tishby_tanh book/executed/activations_summary
                                 book/executed/scorecard)
for page in "${PAGES[@]}"; do
  f="$(cd "$BUILD" && pwd)/${page%.html}.html"
  [ -f "$f" ] || { echo "skip $page: $f missing" >&2; continue; }
  png="$OUT/$(echo "${page%.html}" | tr '/' '_').png"
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 \
    --virtual-time-budget=20000 --window-size=1280,2400 --screenshot="$png" "file://$f" >/dev/null 2>&1
  echo "$png"
done
