#!/usr/bin/env bash
# A stand-in for `az` that answers the commands scripts/export-tenant.sh runs with the recorded outputs beside it.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
args="$*"
case "$args" in
  "account list --query [].id -o tsv") echo "11111111-1111-1111-1111-111111111111" ;;
  "role definition list --custom-role-only true -o json") cat "$here/roles.json" ;;
  "role assignment list --all --subscription 11111111-1111-1111-1111-111111111111 -o json") cat "$here/assignments.json" ;;
  "rest --method get --url "*"skiptoken=page2 -o json") cat "$here/deny-page.json" ;;
  "rest --method get --url "*"denyAssignments?api-version=2022-04-01 -o json") cat "$here/deny-page-1.json" ;;
  "account management-group entities list -o json") cat "$here/entities.json" ;;
  "ad group member list --group "*" -o json")
    g="$(echo "$args" | sed -E 's/.*--group ([^ ]+) .*/\1/')"
    if [[ -e "$here/members/$g.json" ]]; then cat "$here/members/$g.json"; else echo "[]"; fi
    ;;
  *)
    echo "az stub: unexpected command: $args" >&2
    exit 1
    ;;
esac
