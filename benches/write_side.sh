#!/bin/sh
# The write side as whole processes (issue 15), for one or more binaries side by side in one
# run: `import` of a synthetic JSON Lines file into a new ledger, the Python + SQLite peer on
# the same file, then, on a copy of the imported ledger (its snapshot kept by the import),
# `record` of one event and `check --proposed` of a one-line decision. Wall seconds, CPU
# seconds (user + system: on a shared machine the steadier figure) and peak RSS (/usr/bin/time).
#
#   benches/write_side.sh FILE BINARY...
#       e.g. benches/write_side.sh /tmp/s100k.jsonl target/ccm-ledger-before target/release/ccm-ledger
#   (FILE from `cargo bench --bench synthetic_jsonl -- N FILE`)
set -eu
file=$1
shift
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A State no synthetic ledger holds (they are coded AAA, AAB, … up to n/100 of them).
echo '{"kind":"state_joined","state":"ZZZ","name":"Zedland","effective":"2300-01-01"}' >"$scratch/one.jsonl"
measure() { # label, command…: prints "label: wall s, CPU s, peak RSS MB"
    label=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$scratch/time" "$@" >/dev/null 2>"$scratch/err" || {
        cat "$scratch/err" >&2
        exit 1
    }
    awk -v l="$label" '{ printf "%-44s %8.2f s wall %8.2f s CPU %8.1f MB\n", l, $1, $2 + $3, $4 / 1024 }' "$scratch/time"
}
events=$(grep -c . "$file")
echo "$file: $events events"
measure "python+sqlite peer" python3 "$(dirname "$0")/sqlite_peer.py" "$file" "$scratch/peer.sqlite"
for bin in "$@"; do
    ledger="$scratch/ledger"
    rm -rf "$ledger"
    measure "$bin import" "$bin" --ledger "$ledger" import "$file"
    for run in 1 2 3; do
        rm -rf "$scratch/copy"
        cp -r "$ledger" "$scratch/copy"
        measure "$bin record ($run)" "$bin" --ledger "$scratch/copy" record state-joined \
            --state ZZZ --name Zedland --effective 2300-01-01
    done
    for run in 1 2 3; do
        measure "$bin check --proposed ($run)" "$bin" --ledger "$ledger" check --proposed "$scratch/one.jsonl"
    done
done
