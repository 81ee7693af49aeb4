#!/usr/bin/env bash
# The README's quick start on a fresh clone, as a new user meets it: no ../shared beside the clone,
# and pkg-config unable to find the X11/GL libraries, so the optional `gl` addon cannot build.
# Then `npm start` must print the documented story and `npm test` must pass.
# Usage: test/fresh-clone/run.sh [REPO]   (default: this checkout; only committed work is cloned)
set -euo pipefail
repo="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
work="$(mktemp -d -t fastgen-fresh-XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/empty-pkgconfig"
echo "fresh clone: cloning $repo into $work/fastgen-ts"
git clone --quiet "$repo" "$work/fastgen-ts"
cd "$work/fastgen-ts"
[ ! -e ../shared ] || { echo "fresh clone: ../shared exists beside the clone" >&2; exit 1; }

# Nothing of the developer's environment may point the clone at models or golden data elsewhere.
unset FASTGEN_MODEL FASTGEN_MODELS_PATH FASTGEN_GOLDEN_DIR DISPLAY
export PKG_CONFIG_LIBDIR="$work/empty-pkgconfig" PKG_CONFIG_PATH=""

echo "fresh clone: npm ci (X11/GL libraries hidden from pkg-config)"
npm ci --no-audit --no-fund >"$work/npm-ci.log" 2>&1 || { tail -40 "$work/npm-ci.log"; echo "fresh clone: npm ci failed" >&2; exit 1; }
if node -e "require('gl')" 2>/dev/null; then
  echo "fresh clone: the gl addon built although pkg-config could not see X11: the check did not test what it should" >&2
  exit 1
fi

echo "fresh clone: npm start"
story="$(npm start --silent 2>"$work/start.err")" || { cat "$work/start.err"; echo "fresh clone: npm start failed" >&2; exit 1; }
expected="Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
case "$story" in
  "$expected"*) echo "fresh clone: npm start printed the documented story" ;;
  *) printf 'fresh clone: npm start printed:\n%s\n' "$story" >&2; exit 1 ;;
esac

echo "fresh clone: npm test"
npm test
