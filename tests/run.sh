#!/usr/bin/env bash
# Runs every doctest binary given on the command line, and every node test file (*.test.mjs,
# node's test runner with its TAP reporter; the npm modules under $IDTAP_NODE_DIR), prints each
# one's summary and, last, the totals as "N passed, N failed" (test cases; a node test file's
# tests count as test cases). Exits non-zero if any binary or file failed.
set -u
passed=0 failed=0 skipped=0 bad_bins=()
for bin in "$@"; do
  name=$(basename "$bin")
  log=$(mktemp)
  start=$(date +%s)
  if [[ "$bin" == *.test.mjs ]]; then
    node --test --test-reporter=tap "$bin" >"$log" 2>&1
    rc=$?
    # TAP's closing "# pass N" lines, in doctest's summary form.
    count() { sed -nE "s/^# $1 ([0-9]+)$/\1/p" "$log" | tail -n 1; }
    tp=$(count pass) tf=$(count fail) tc=$(count cancelled) ts=$(count skipped)
    line=""
    if [ -n "$tp" ] && [ -n "$tf" ]; then
      line="[node --test] test cases: $((tp + tf + ${tc:-0})) | $tp passed | $((tf + ${tc:-0})) failed | ${ts:-0} skipped"
    fi
  else
    "$bin" --no-intro=true >"$log" 2>&1
    rc=$?
    line=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
  fi
  secs=$(( $(date +%s) - start ))
  p=$(sed -nE 's/.*\| *([0-9]+) passed.*/\1/p' <<<"$line")
  f=$(sed -nE 's/.*\| *([0-9]+) failed.*/\1/p' <<<"$line")
  s=$(sed -nE 's/.*\| *([0-9]+) skipped.*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    bad_bins+=("$name")
    cat "$log"
    [ -z "$line" ] && failed=$((failed + 1))
  fi
  printf '%-28s %s (%ss)\n' "$name" "${line:-[no summary: crashed? exit $rc]}" "$secs"
  rm -f "$log"
done
echo
if [ ${#bad_bins[@]} -ne 0 ]; then echo "failing test binaries: ${bad_bins[*]}"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#bad_bins[@]} -eq 0 ]
