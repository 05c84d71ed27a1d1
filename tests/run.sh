#!/usr/bin/env bash
# Runs every doctest binary given on the command line, prints each one's summary and, last, the
# totals as "N passed, N failed" (test cases). Exits non-zero if any binary failed.
set -u
passed=0 failed=0 skipped=0 bad_bins=()
for bin in "$@"; do
  name=$(basename "$bin")
  log=$(mktemp)
  start=$(date +%s)
  "$bin" --no-intro=true >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  line=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
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
