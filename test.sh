#!/usr/bin/env bash
# Runs every test project of MptcpActors after installing what the tests need (tshark, nftables).
# Ends with one line "N passed, N failed, N skipped" totalled over all test projects; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
# nft: the multi-path interop tests drop a path's frames with nftables rules (blackhole, loss). It lives in /usr/sbin,
# which a non-root user's PATH often lacks.
PATH="$PATH:/usr/sbin:/sbin" command -v nft >/dev/null 2>&1 || need_apt+=(nftables)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: ${need_apt[*]} missing and not root: run as root or: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2 \
    || { echo "test.sh: apt-get install ${need_apt[*]} failed" >&2; exit 2; }
fi
command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET SDK (dotnet) is not on PATH" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test MptcpActors.sln --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Each test assembly prints: "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T, ..."
read -r passed failed skipped projects < <(grep -E '(Passed|Failed)! +- +Failed: ' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3; n++} END {printf "%d %d %d %d\n", p, f, s, n}')
expected=$(ls tests/*/*.csproj | wc -l)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before reporting: count it as a failure so the total says so.
  failed=1
fi
if [ "$projects" -lt "$expected" ]; then
  echo "test.sh: only $projects of $expected test projects reported results" >&2
  [ "$failed" -eq 0 ] && failed=1
  rc=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
