#!/usr/bin/env bash
# Cold-start benchmark of the shopdb CLI: `shopdb --help`, `shopdb migrate --help` and
# `shopdb --version` against a bare `node -e 0`, measured in the same run so the ratio holds
# on any machine (goal: at most 3x). Uses hyperfine when it is on PATH (Debian package
# `hyperfine`), else a plain timing loop in node (bench/startup-timer.mjs).
#
# Usage: bash bench/cli-startup.sh [options]        (or: npm run bench -- [options])
#   --runs N        measured runs per command (default 20)
#   --warmup N      unmeasured runs first (default 3)
#   --max-ratio X   exit 1 if a shopdb command's median is more than X times node -e 0's
#   --no-hyperfine  use the node timing loop even when hyperfine is installed
#   --keep-env      keep NODE_OPTIONS and NODE_EXTRA_CA_CERTS (cleared by default, see below)
#   --json          print the summary as JSON on stdout instead of the table
#
# The summary goes to stdout; build output and hyperfine's own report go to stderr.
# Exit codes: 0 measured (and within --max-ratio if given); 1 above --max-ratio, or a command
# failed, or a command imports a heavy module before run() (bench/command-imports.mjs); 2 usage.

set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

runs=20
warmup=3
max_ratio=""
use_hyperfine=1
keep_env=0
json=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
    --warmup) warmup="${2:?--warmup needs a number}"; shift 2 ;;
    --max-ratio) max_ratio="${2:?--max-ratio needs a number}"; shift 2 ;;
    --no-hyperfine) use_hyperfine=0; shift ;;
    --keep-env) keep_env=1; shift ;;
    --json) json=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cli-startup.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "--warmup must be 0 or more" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Both variables add a fixed cost to every node start: NODE_EXTRA_CA_CERTS makes node parse a
# CA bundle before running anything (about 70 ms on the development machines), which hides the
# CLI's own cost and makes the ratio look better than a user will see it.
if [[ $keep_env -eq 0 ]]; then
  for var in NODE_OPTIONS NODE_EXTRA_CA_CERTS; do
    if [[ -n "${!var:-}" ]]; then
      echo "Clearing $var for the measurement (--keep-env keeps it)." >&2
      unset "$var"
    fi
  done
fi

if [[ ! -f oclif.manifest.json || ! -d dist/src/commands ]]; then
  echo "No build (dist/ or oclif.manifest.json missing): running npm run build." >&2
  npm run build >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/shopdb-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A failing command would be timed as a fast one: check that each works first.
for args in "--help" "migrate --help" "--version"; do
  # shellcheck disable=SC2086 # the argument lists are meant to split
  if ! node bin/run.js $args >/dev/null 2>"$work/stderr"; then
    echo "\`node bin/run.js $args\` failed:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
done

# name|command line (split on spaces, run without a shell)
commands=(
  "node -e 0|node -e 0"
  "shopdb --help|node bin/run.js --help"
  "shopdb migrate --help|node bin/run.js migrate --help"
  "shopdb --version|node bin/run.js --version"
)

load_before="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || node -p 'require("node:os").loadavg()[0]')"
results="$work/results.json"
if [[ $use_hyperfine -eq 1 ]] && command -v hyperfine >/dev/null 2>&1; then
  echo "Timing with $(hyperfine --version), node $(node --version), $runs runs after $warmup warm-up runs." >&2
  hf_args=()
  for entry in "${commands[@]}"; do hf_args+=(--command-name "${entry%%|*}" "${entry#*|}"); done
  hyperfine --shell=none --warmup "$warmup" --runs "$runs" --export-json "$results" "${hf_args[@]}" >&2
else
  if [[ $use_hyperfine -eq 1 ]]; then
    echo "hyperfine is not installed (Debian: apt-get install -y hyperfine); using the node loop." >&2
  fi
  echo "Timing with a node loop, node $(node --version), $runs runs after $warmup warm-up runs." >&2
  timer_args=()
  for entry in "${commands[@]}"; do timer_args+=(--command "${entry#*|}" --name "${entry%%|*}"); done
  node bench/startup-timer.mjs --runs "$runs" --warmup "$warmup" --export-json "$results" "${timer_args[@]}"
fi

report_args=("$results" --baseline "node -e 0" --load-before "$load_before")
[[ -n "$max_ratio" ]] && report_args+=(--max-ratio "$max_ratio")
[[ $json -eq 1 ]] && report_args+=(--json)
status=0
node bench/startup-report.mjs "${report_args[@]}" || status=$?

# Commands must load knex, mysql2, prompts and task lists inside run(), not at the top.
if ! node bench/command-imports.mjs >"$work/imports.txt" 2>&1; then
  cat "$work/imports.txt" >&2
  status=1
elif [[ $json -eq 0 ]]; then
  echo ""
  tail -n 1 "$work/imports.txt"
fi
exit "$status"
