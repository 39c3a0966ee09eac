#!/bin/sh
# Regenerates docs/timeline.png, the README's picture: the fixture's timeline drawn as SVG by
# ccm-ledger, then rendered to PNG by headless Chromium (the Debian package `chromium`), at the
# SVG's own size. From the repository's root, after `cargo build`:
#
#   sh docs/timeline.sh
#
# CCM_LEDGER_BIN names another binary (default: target/debug/ccm-ledger).
set -eu
bin=${CCM_LEDGER_BIN:-target/debug/ccm-ledger}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --ledger "$work/ledger" import fixtures/ccm-machinery.jsonl >/dev/null
"$bin" --ledger "$work/ledger" timeline --svg "$work/timeline.svg" --on 2026-01-01
size=$(sed -n 's/^<svg [^>]* width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$work/timeline.svg")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$size" \
  --screenshot="$PWD/docs/timeline.png" "file://$work/timeline.svg" 2>/dev/null
echo "wrote docs/timeline.png ($size)"
