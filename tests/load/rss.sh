#!/usr/bin/env bash
# Peak memory of `rolegate serve` while it reloads the generated medium tenant (issue 22's target: the peak during
# reloads at most 2.2 times the RSS of the server holding one snapshot). Not part of CI. Run tests/load/run.sh once
# first: this script reuses its work directory (the generated tenant and the tenants a and b).
#
#   tests/load/rss.sh     # RSS_RELOADS=12, LOAD_WORK=/tmp/rolegate-load
#
# It starts the server on tenant a, waits until it serves and its RSS settles, then resets the kernel's high-water
# mark (`echo 5 > /proc/PID/clear_refs`), reloads alternately b and a (each a full new snapshot) and reads VmHWM:
# the largest RSS the process had at any moment of the reloads, not a sample.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
work="${LOAD_WORK:-/tmp/rolegate-load}"
reloads="${RSS_RELOADS:-12}"
port=18191
admin_port=18192
[[ -d "$work/tenants/a" && -d "$work/tenants/b" ]] || { echo "!! run tests/load/run.sh first" >&2; exit 1; }

cargo build --release --locked --bin rolegate -p rolegate-cli
ln -sfn tenants/a "$work/tenant-rss"
cat >"$work/gateway-rss.toml" <<EOF
listen = "127.0.0.1:$port"
admin_listen = "127.0.0.1:$admin_port"
tenant = "tenant-rss"
watch = false

[identity]
mode = "trusted_headers"
principal_header = "x-principal"
peers = ["127.0.0.1"]

[log]
decisions = "off"
EOF

"$root/target/release/rolegate" serve --config "$work/gateway-rss.toml" 2>"$work/rss.stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" || { cat "$work/rss.stderr"; exit 1; }
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }
sleep 3
one=$(kib VmRSS)
echo 5 >"/proc/$pid/clear_refs"
for i in $(seq "$reloads"); do
  if ((i % 2)); then target=tenants/b; else target=tenants/a; fi
  ln -sfn "$target" "$work/tenant-rss.next" && mv -T "$work/tenant-rss.next" "$work/tenant-rss"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$admin_port/admin/reload")
  [[ "$code" == 200 ]] || { echo "!! reload $i answered $code" >&2; exit 1; }
done
peak=$(kib VmHWM)
sleep 3
after=$(kib VmRSS)
python3 - "$one" "$peak" "$after" "$reloads" <<'PY'
import sys
one, peak, after, n = (int(x) for x in sys.argv[1:])
print(f"one snapshot: {one / 1024:.0f} MiB; peak during {n} reloads: {peak / 1024:.0f} MiB "
      f"({peak / one:.2f}x); settled after: {after / 1024:.0f} MiB ({after / one:.2f}x)")
PY
