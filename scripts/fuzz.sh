#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for a fixed time and record executions and crashes.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Environment: FUZZ_SANITIZER (default none; address for ASan).
# Needs a nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). Builds into fuzz/target (never the workspace's target dir:
# the sanitizer flags would invalidate it). Corpora are seeded from fuzz/seeds/<target>/ and
# kept in fuzz/corpus/<target>/; crashes land in fuzz/artifacts/<target>/.
# Prints one line per target: `FUZZ <target> execs=<n> seconds=<s> crashes=<n>` and writes
# the same lines to fuzz/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
shift || true
unset CARGO_TARGET_DIR
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Sanitizer: none by default. Every crate fuzzed denies `unsafe_code`, so AddressSanitizer
# finds nothing Rust's checks do not, and costs ~5x in executions per second. Set
# FUZZ_SANITIZER=address to fuzz with it anyway.
sanitizer="${FUZZ_SANITIZER:-none}"
cargo +nightly fuzz build --release --sanitizer "$sanitizer"
bin_dir="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
: > last-run.txt
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  if [ -d "seeds/$t" ]; then cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true; fi
  log="artifacts/$t/run.log"
  set +e
  # Run the binary built above directly: `cargo fuzz run` would rebuild whenever a source
  # file's timestamp changed meanwhile.
  "$bin_dir/$t" "corpus/$t" \
    -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s+=$2} END {print s+0}')
  crashes=$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
  line="FUZZ $t execs=$execs seconds=$secs crashes=$crashes exit=$rc"
  echo "$line" | tee -a last-run.txt
  if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then status=1; fi
done
exit $status
