#!/usr/bin/env bash
# Load test of `rolegate serve`'s forward-auth route on the generated medium tenant (seed 42). Not part of CI:
# it takes about ten minutes and its figures depend on the machine.
#
#   tests/load/run.sh     # LOAD_SECONDS=15 per step, LOAD_CONNECTIONS=64, LOAD_WORK=/tmp/rolegate-load,
#                         # LOAD_DECISIONS=file (or off: no decision log)
#
# One machine runs everything: oha (the load generator, keep-alive connections), rolegate serve and an nginx that
# answers every request with a static 200, the floor: what this machine does for the cheapest HTTP exchange at
# the same request sizes. rolegate runs in trusted_headers mode (the principal in `x-principal`, as behind a proxy
# that validated the token), the decision log going to a file (every decision logged, as in production; the
# file is deleted at the end) unless LOAD_DECISIONS=off. Requests are Envoy-shaped, `GET /auth/{ARM path}`, which lets the path vary per
# request; oha sends one set of headers per run, so a run has one principal: the script picks the generated
# principal with the most grants over the paths and mixes allowed and refused paths half and half.
#
# Steps: 1k, 5k and 20k requests/s (oha's --latency-correction: latency counts from when a request was due), then
# as fast as it goes, for rolegate and for the nginx floor; then a 60 s run at 5k requests/s during which 100
# reloads (POST /admin/reload after swapping the symlinked tenant directory) alternate between two valid tenants
# and an invalid one. It prints p50/p99/p99.9 latency and requests/s per step and the status codes of the reload
# run; a 5xx or a connection error there fails the script.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

seconds="${LOAD_SECONDS:-15}"
connections="${LOAD_CONNECTIONS:-64}"
work="${LOAD_WORK:-/tmp/rolegate-load}"
case "${LOAD_DECISIONS:-file}" in
  file) decisions=decisions.log ;;
  off) decisions=off ;;
  *) echo "!! LOAD_DECISIONS is file or off" >&2; exit 1 ;;
esac
reload_seconds=60
reloads=100
rg_port=18181
admin_port=18182
nginx_port=18080

export PATH="$PATH:$HOME/.cargo/bin:/usr/sbin"
if ! command -v oha >/dev/null 2>&1; then
  cargo install oha --locked
fi
if ! command -v nginx >/dev/null 2>&1; then
  echo "!! nginx is not installed: apt-get install -y nginx (as .ci/run does)" >&2
  exit 1
fi
for tool in python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "!! $tool is needed" >&2; exit 1; }
done
for port in "$rg_port" "$admin_port" "$nginx_port"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "!! something already listens on 127.0.0.1:$port" >&2
    exit 1
  fi
done

echo "== build (release)"
cargo build --release --locked --bin rolegate -p rolegate-cli
cargo build --release --locked -p rolegate --example gen_tenant
rolegate="$root/target/release/rolegate"

mkdir -p "$work"
gen="$work/medium"
if [[ ! -f "$gen/queries.jsonl" ]]; then
  echo "== generate the medium tenant (seed 42)"
  "$root/target/release/examples/gen_tenant" --size medium --seed 42 --out "$gen" --jobs 2
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -f "$work/decisions.log"
}
trap cleanup EXIT

# Three tenants: a (generated), b (a plus one assignment: another snapshot) and bad (a deny assignment with a
# malformed scope, RL018, refuses the whole tenant, found only once everything is parsed).
rm -rf "$work/tenants" && mkdir -p "$work/tenants"
for t in a b bad; do
  mkdir "$work/tenants/$t"
  cp "$gen"/{roles,assignments,denyAssignments,groups,hierarchy}.json "$work/tenants/$t/"
done
python3 - "$work/tenants" <<'EOF'
import json, sys
base = sys.argv[1]
path = f"{base}/b/assignments.json"
a = json.load(open(path))
a.append({"principalId": "load-test-extra", "principalType": "User",
          "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": a[0]["scope"]})
json.dump(a, open(path, "w"))
path = f"{base}/bad/denyAssignments.json"
d = json.load(open(path))
d[0]["properties"]["scope"] += "/../x"
json.dump(d, open(path, "w"))
EOF
ln -sfn tenants/a "$work/tenant"

cat >"$work/gateway.toml" <<EOF
listen = "127.0.0.1:$rg_port"
admin_listen = "127.0.0.1:$admin_port"
tenant = "tenant"
# Reloads come from POST /admin/reload only, so the run counts exactly what it asked for.
watch = false

[identity]
mode = "trusted_headers"
principal_header = "x-principal"
peers = ["127.0.0.1"]

[log]
decisions = "$decisions"

[limits]
max_connections = 4096
EOF

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
$([[ "$(id -u)" -eq 0 ]] && echo "user root;")
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { return 200 ""; }
    }
}
EOF

echo "== start rolegate serve and nginx"
"$rolegate" serve --config "$work/gateway.toml" 2>"$work/rolegate.stderr" &
pids+=("$!")
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
pids+=("$!")
for _ in $(seq 100); do
  if curl -sf -o /dev/null "http://127.0.0.1:$rg_port/readyz" && curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/"; then
    break
  fi
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$rg_port/readyz" || { cat "$work/rolegate.stderr"; exit 1; }
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/" || { cat "$work/nginx/stderr" "$work/nginx/error.log"; exit 1; }

echo "== choose the principal and the paths"
# Every generated query's scope as an ARM GET (the engine decides `{type}/read` there). Candidates: the principals
# with the most assignments at management-group or subscription scope, directly or through one of their groups;
# each is asked about every path, and the one with the most allowed paths wins. The URL list then holds its
# allowed paths and as many refused ones.
python3 - "$gen" "$rg_port" "$nginx_port" "$work" <<'EOF'
import collections, http.client, json, random, sys
gen, rg_port, nginx_port, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
paths = sorted({json.loads(l)["scope"] + "?api-version=2024-03-01" for l in open(f"{gen}/queries.jsonl")})
paths = [p for p in paths if p.startswith("/") and p.isascii() and p.isprintable() and " " not in p]
assignments = json.load(open(f"{gen}/assignments.json"))
groups = json.load(open(f"{gen}/groups.json"))
members = collections.defaultdict(set)
for g, ms in (groups.items() if isinstance(groups, dict) else []):
    for m in ms if isinstance(ms, list) else []:
        members[g].add(m)
broad = collections.Counter()
for a in assignments:
    s = a["scope"].lower()
    if s.count("/") <= 2 or "managementgroups" in s:
        broad[a["principalId"]] += 1
        for m in members.get(a["principalId"], ()):
            broad[m] += 1
candidates = [p for p, _ in broad.most_common(25)]
conn = http.client.HTTPConnection("127.0.0.1", rg_port)
def allowed(principal):
    ok = []
    for p in paths:
        conn.request("GET", "/auth" + p, headers={"x-principal": principal})
        r = conn.getresponse()
        r.read()
        if r.status == 200:
            ok.append(p)
    return ok
best = max(((c, allowed(c)) for c in candidates), key=lambda x: len(x[1]))
principal, ok = best
refused = [p for p in paths if p not in set(ok)]
random.seed(42)
mix = ok + random.sample(refused, min(len(refused), len(ok)))
random.shuffle(mix)
for name, port in (("rolegate", rg_port), ("nginx", nginx_port)):
    with open(f"{work}/urls-{name}.txt", "w") as f:
        f.writelines(f"http://127.0.0.1:{port}/auth{p}\n" for p in mix)
open(f"{work}/principal", "w").write(principal)
print(f"principal {principal}: {len(ok)} of {len(paths)} paths allowed; the list holds {len(mix)} paths, "
      f"{len(ok)} allowed, {len(mix) - len(ok)} refused")
EOF
principal="$(cat "$work/principal")"

# oha's JSON summary, one line: rps, p50/p99/p99.9 in ms, and the status codes.
summary() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = " ".join(f"{k}:{v}" for k, v in sorted(r.get("statusCodeDistribution", {}).items()))
errors = " ".join(f"{k}:{v}" for k, v in r.get("errorDistribution", {}).items()) or "none"
ms = lambda k: f"{p[k] * 1000:8.3f}" if p.get(k) is not None else "     n/a"
print(f"{s['requestsPerSec']:9.0f}  {ms('p50')}  {ms('p99')}  {ms('p99.9')}   {codes}  errors: {errors}")
EOF
}

run() { # name rate(or max) seconds -> json file
  local name="$1" rate="$2" secs="$3" out="$work/$1-$2.json"
  # -w: requests in flight at the deadline finish and count, rather than count as errors.
  local args=(--no-tui --output-format json -z "${secs}s" -w -c "$connections" --urls-from-file)
  [[ "$rate" != max ]] && args=(-q "$rate" --latency-correction "${args[@]}")
  oha "${args[@]}" -H "x-principal: $principal" "$work/urls-$name.txt" >"$out"
  echo "$out"
}

results=()
for rate in 1000 5000 20000 max; do
  for name in rolegate nginx; do
    echo "== $name at $rate requests/s for ${seconds}s"
    out="$(run "$name" "$rate" "$seconds")"
    results+=("$(printf '%-9s %6s  %s' "$name" "$rate" "$(summary "$out")")")
  done
done

echo "== ${reload_seconds}s at 5000 requests/s with $reloads reloads"
reload_log="$work/reloads.txt"
: >"$reload_log"
(
  # Paced to spread the reloads over the run; one that takes longer than its slot delays the next.
  slot_ms=$((reload_seconds * 1000 * 9 / 10 / reloads))
  for i in $(seq "$reloads"); do
    started=$(date +%s%3N)
    case $((i % 4)) in
      1 | 3) target=tenants/bad ;;
      2) target=tenants/b ;;
      0) target=tenants/a ;;
    esac
    ln -sfn "$target" "$work/tenant.next" && mv -T "$work/tenant.next" "$work/tenant"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$admin_port/admin/reload")
    echo "$i $target $code $(($(date +%s%3N) - started))" >>"$reload_log"
    left=$((slot_ms - ($(date +%s%3N) - started)))
    if ((left > 0)); then sleep "$(printf '0.%03d' "$left")"; fi
  done
) &
reloader=$!
sleep 1
reload_out="$(run rolegate 5000 "$reload_seconds")"
wait "$reloader"

echo
echo "== results: p50/p99/p99.9 in ms; LOAD_SECONDS=$seconds, $connections keep-alive connections, decision log: $decisions;"
echo "   $(nproc) cores shared by oha, rolegate and nginx"
echo "target      rate       rps       p50       p99     p99.9   status codes"
printf '%s\n' "${results[@]}"
echo
echo "reload run: $(summary "$reload_out")"
python3 - "$reload_log" "$reload_out" <<'EOF'
import collections, json, sys
rows = [l.split() for l in open(sys.argv[1])]
by = collections.Counter((t.split("/")[-1], c) for _, t, c, _ in rows)
ms = sorted(int(r[3]) for r in rows)
print(f"reloads: {len(rows)}; by tenant and answer: {dict(by)}; reload time p50 {ms[len(ms) // 2]} ms, max {ms[-1]} ms")
expected = all((t.endswith("bad") and c == "422") or (not t.endswith("bad") and c == "200") for _, t, c, _ in rows)
r = json.load(open(sys.argv[2]))
codes = r.get("statusCodeDistribution", {})
fives = sum(v for k, v in codes.items() if k.startswith("5"))
other = sum(v for k, v in codes.items() if k not in ("200", "401", "403"))
errors = sum(r.get("errorDistribution", {}).values())
print(f"during reloads: {codes}; not 200/401/403: {other}; 5xx: {fives}; connection errors: {errors}")
if fives or errors or other or not expected or len(rows) != 100:
    print("!! FAILED: a 5xx, a connection error, an unexpected status, or a reload answered wrongly")
    sys.exit(1)
EOF
echo "generation at the end: $(curl -s "http://127.0.0.1:$rg_port/readyz")"
if [[ "$decisions" != off ]]; then
  echo "decision log: $(wc -l <"$work/decisions.log") lines, $(du -h "$work/decisions.log" | cut -f1) (deleted on exit)"
fi
