#!/usr/bin/env bash
# Exports the access of the subscriptions the signed-in `az` account can see into a rolegate tenant directory:
#
#   scripts/export-tenant.sh OUT_DIR [SUBSCRIPTION_ID...]
#
# It runs (needs `az` signed in, `jq`, and `rolegate` on PATH or ROLEGATE=/path/to/rolegate):
#   az role definition list --custom-role-only true
#   az role assignment list --all --subscription S                      (per subscription)
#   az rest GET .../subscriptions/S/providers/Microsoft.Authorization/denyAssignments (every page, per subscription)
#   az account management-group entities list
#   az ad group member list --group G                                   (every group named, nested groups too)
# and then `rolegate import`, which refuses to write into a non-empty directory and checks that the tenant loads.
set -euo pipefail

out="${1:?usage: $0 OUT_DIR [SUBSCRIPTION_ID...]}"
shift
rolegate="${ROLEGATE:-rolegate}"
raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT

subscriptions=("$@")
if ((${#subscriptions[@]} == 0)); then
  mapfile -t subscriptions < <(az account list --query '[].id' -o tsv)
fi

az role definition list --custom-role-only true -o json >"$raw/roles.json"
args=(--roles "$raw/roles.json")
for s in "${subscriptions[@]}"; do
  az role assignment list --all --subscription "$s" -o json >"$raw/assignments-$s.json"
  args+=(--assignments "$raw/assignments-$s.json")
  # The REST list is paged: follow nextLink until the last page, so that no deny assignment is left out.
  url="https://management.azure.com/subscriptions/$s/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01"
  page=0
  while [[ -n "$url" ]]; do
    az rest --method get --url "$url" -o json >"$raw/deny-$s-$page.json"
    args+=(--deny-assignments "$raw/deny-$s-$page.json")
    url="$(jq -r '.nextLink // empty' "$raw/deny-$s-$page.json")"
    # The page stays as fetched; rolegate import refuses a page with nextLink, so keep only its value list.
    jq '{value: .value}' "$raw/deny-$s-$page.json" >"$raw/deny-$s-$page.tmp" && mv "$raw/deny-$s-$page.tmp" "$raw/deny-$s-$page.json"
    page=$((page + 1))
  done
done

az account management-group entities list -o json >"$raw/entities.json"
args+=(--entities "$raw/entities.json")

# Every group the assignments and deny assignments name, and every group inside those, breadth first.
mkdir -p "$raw/members"
mapfile -t queue < <(
  {
    jq -r '.[] | select(.principalType == "Group") | .principalId' "$raw"/assignments-*.json
    jq -r '.value[]? | .properties | (.principals // [])[], (.excludePrincipals // [])[] | select(.type == "Group") | .id' "$raw"/deny-*.json
  } | sort -u
)
while ((${#queue[@]})); do
  g="${queue[0]}"
  queue=("${queue[@]:1}")
  [[ -e "$raw/members/$g.json" ]] && continue
  az ad group member list --group "$g" -o json >"$raw/members/$g.json"
  while IFS= read -r nested; do
    [[ -n "$nested" && ! -e "$raw/members/$nested.json" ]] && queue+=("$nested")
  done < <(jq -r '.[] | select(."@odata.type" == "#microsoft.graph.group") | .id' "$raw/members/$g.json")
done
args+=(--group-members "$raw/members")

"$rolegate" import --out "$out" "${args[@]}"
