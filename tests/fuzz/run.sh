#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS BUILD_DIR [FLAGS...]: runs every libFuzzer target under BUILD_DIR/bin
# for SECONDS on its working corpus BUILD_DIR/corpus/NAME (seeded from tests/fuzz/corpus/NAME when
# there is one), logs to BUILD_DIR/logs/NAME.log and keeps reproducers in BUILD_DIR/artifacts/.
# Every target runs; exits non-zero if any crashed, leaked, hung (-timeout) or is missing.
set -u
seconds=$1 build=$2
shift 2
mkdir -p "$build/logs" "$build/artifacts"
failed=
for f in "$build"/bin/*_fuzz; do
  [ -x "$f" ] || { echo "no fuzz targets in $build/bin"; exit 1; }
  n=$(basename "$f")
  log=$build/logs/$n.log
  mkdir -p "$build/corpus/$n"
  seeds=
  [ -d "tests/fuzz/corpus/$n" ] && seeds=tests/fuzz/corpus/$n
  if "$f" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$n-" "$@" \
       "$build/corpus/$n" $seeds >"$log" 2>&1; then
    printf '%-24s ok: %s runs in %ss, %s\n' "$n" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
      "$seconds" "$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)"
  else
    echo "== $n FAILED (log: $log)"
    tail -n 50 "$log"
    failed="$failed $n"
  fi
done
if [ -n "$failed" ]; then echo "fuzz targets that failed:$failed"; exit 1; fi
