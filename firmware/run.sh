#!/usr/bin/env bash
# Builds the firmware in every variant and runs each on its emulated board.
# Fails if any variant fails to build, exits with a failure status, or has
# not exited after $FIRMWARE_TIMEOUT seconds.
#
#   firmware/run.sh                    # all variants
#   firmware/run.sh microbit-release   # some of them, by name
#
# Needs qemu-system-arm and the rustup targets thumbv6m-none-eabi and
# thumbv7m-none-eabi (.ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")"

TIMEOUT=${FIRMWARE_TIMEOUT:-120}

# name, target, cargo profile, firmware features
VARIANTS=(
  "lm3s6965evb-debug    thumbv7m-none-eabi dev     -"
  "lm3s6965evb-release  thumbv7m-none-eabi release -"
  "microbit-debug       thumbv6m-none-eabi dev     -"
  "microbit-release     thumbv6m-none-eabi release -"
  "lm3s6965evb-alloc    thumbv7m-none-eabi dev     alloc"
)

# The same command as the runners in .cargo/config.toml (see the comment
# there for -icount).
qemu() {
  local target=$1 elf=$2 machine cpu
  case $target in
    thumbv7m-none-eabi) machine=lm3s6965evb cpu=cortex-m3 ;;
    thumbv6m-none-eabi) machine=microbit cpu=cortex-m0 ;;
  esac
  echo "+ qemu-system-arm -cpu $cpu -machine $machine -nographic -icount shift=6,sleep=off -semihosting-config enable=on,target=native -kernel ${elf#"$PWD"/}"
  timeout --kill-after=5 "$TIMEOUT" qemu-system-arm -cpu "$cpu" -machine "$machine" -nographic \
    -icount shift=6,sleep=off -semihosting-config enable=on,target=native -kernel "$elf"
}

selected=("$@")
passed=0
failed=0
failures=()
for line in "${VARIANTS[@]}"; do
  read -r name target profile features <<<"$line"
  if [ ${#selected[@]} -gt 0 ] && [[ " ${selected[*]} " != *" $name "* ]]; then
    continue
  fi
  echo
  echo "--- firmware $name"
  args=(--target "$target" --profile "$profile")
  [ "$features" = - ] || args+=(--features "$features")
  cargo build "${args[@]}"
  dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
  elf="$PWD/target/$target/$dir/turnstile-firmware"
  begin=$(date +%s%N)
  set +e
  output=$(qemu "$target" "$elf" 2>&1)
  status=$?
  set -e
  ms=$((($(date +%s%N) - begin) / 1000000))
  seconds=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
  echo "$output"
  # The exit status is the firmware's verdict (semihosting); a run that
  # reports success must also have printed its closing line.
  if [ $status -eq 0 ] && grep -q '^ok after ' <<<"$output"; then
    printf 'firmware %s: passed in %s s\n' "$name" "$seconds"
    passed=$((passed + 1))
  else
    [ $status -eq 124 ] && echo "timed out after ${TIMEOUT}s"
    printf 'firmware %s: FAILED (status %d) after %s s\n' "$name" "$status" "$seconds"
    failed=$((failed + 1))
    failures+=("$name")
  fi
done

echo
echo "firmware: $passed passed, $failed failed"
if [ $failed -gt 0 ]; then
  echo "failed: ${failures[*]}"
  exit 1
fi
if [ $passed -eq 0 ]; then
  echo "no variant matched: ${selected[*]}"
  exit 1
fi
