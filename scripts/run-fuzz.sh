#!/usr/bin/env bash
# Builds the import readers' libFuzzer targets with clang (AddressSanitizer,
# UndefinedBehaviorSanitizer) in build-fuzz/ and runs each one for
# FUZZ_SECONDS seconds (default 20), seeded with the third-party corpus in
# ../shared/corpus. Exits non-zero when a target crashes, leaks or hangs; the
# input that did it is kept in build-fuzz/artifacts/.
#   bash scripts/run-fuzz.sh [build-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source_dir=${RELANCE_FUZZ_SOURCE_DIR:-$root}
build=${1:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
corpus=$root/../shared/corpus
targets=(csv xlsx xlsb xls)

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$source_dir" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DRELANCE_TESTS=OFF -DRELANCE_FUZZ=ON \
  "-DCMAKE_CXX_FLAGS=$flags" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
binaries=()
for t in "${targets[@]}"; do binaries+=("fuzz_${t}_reader"); done
cmake --build "$build" -j "${JOBS:-2}" --target "${binaries[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"

seed() {  # seed <dir> <find -name patterns...>
  local dir=$1
  shift
  mkdir -p "$dir"
  if [ -d "$corpus" ]; then
    find "$corpus" -type f \( "$@" \) -size -2M -exec cp {} "$dir"/ \; 2>/dev/null || true
  fi
}
seed "$work/seeds/csv" -name '*.csv'
seed "$work/seeds/xlsx" -name '*.xlsx' -o -name '*.xlsm'
seed "$work/seeds/xlsb" -name '*.xlsb'
seed "$work/seeds/xls" -name '*.xls'
# Bare worksheet XML and BIFF records reach the parsers directly.
printf '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>44197</v></c><c r="C1" t="inlineStr"><is><t>x&amp;y</t></is></c></row></sheetData></worksheet>' \
  > "$work/seeds/xlsx/sheet.xml"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_${t}_reader"
  mkdir -p "$work/new/$t"
  echo "run-fuzz: $t reader for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2560 \
      -print_final_stats=0 -artifact_prefix="$build/artifacts/$t-" \
      "$work/new/$t" "$work/seeds/$t" >"$work/$t.log" 2>&1; then
    echo "run-fuzz: the $t reader failed; see $build/artifacts/ and the log below" >&2
    tail -n 60 "$work/$t.log" >&2
    status=1
  else
    grep -E "^Done [0-9]+ runs" "$work/$t.log" | tail -n 1 || true
  fi
done
exit $status
