#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The runbook's rollback (docs/runbook.md, Rollback), steps 1-3, as one command: redeploy a known-good release of staging.
# Without COMMIT the Dagger module picks the previous release that verified (from the release ledger).
set -euo pipefail

SCRIPT_NAME="${BASH_SOURCE[0]##*/}"
USAGE="Usage: $SCRIPT_NAME [--dry-run] [--no-browser] [--help] [COMMIT]

Rolls staging back to COMMIT (a 7 to 40 character hexadecimal commit SHA), or, without COMMIT, to
the previous release that verified. The images of recent releases stay on the staging host, so no
rebuild is needed; the database schema is left alone (Prisma migrations are forward-only: see
docs/runbook.md, section Rollback, for when the schema must go back).

  --dry-run     print the command that would run, run nothing
  --no-browser  skip the browser check of the release brought back (emergencies only: it is then
                not looked at in a browser, and the output says so)
  -h, --help    this help

Environment: DAGGER names the Dagger CLI binary (default: dagger).
Exit codes: 0 rolled back and verified, 1 the rollback failed, 2 bad usage."
# No dirname(1), no command substitution: the script's folder is used as it is, byte for byte.
SCRIPT_DIR=.
[[ "${BASH_SOURCE[0]}" != */* ]] || SCRIPT_DIR="${BASH_SOURCE[0]%/*}"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

positionals=()
no_browser=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      printf '%s\n' "$USAGE"
      exit 0
      ;;
    --dry-run) DRY_RUN=true ;;
    --no-browser) no_browser=true ;;
    --) shift && positionals+=("$@") && break ;;
    -*) usage_error "unknown option '$1'" ;;
    *) positionals+=("$1") ;;
  esac
  shift
done
[[ ${#positionals[@]} -le 1 ]] || usage_error "expected at most one COMMIT, got ${#positionals[@]}: ${positionals[*]}"
commit="${positionals[0]:-}"

if [[ -n "$commit" && ! "$commit" =~ ^[0-9a-fA-F]{7,40}$ ]]; then
  usage_error "'$commit' is not a commit SHA (7 to 40 hexadecimal characters); list the releases with: dagger call releases --env $LH_ENV"
fi

args=(call rollback --env "$LH_ENV")
if [[ -n "$commit" ]]; then
  args+=(--to "$(printf '%s' "$commit" | tr '[:upper:]' '[:lower:]')")
  target="commit $commit"
else
  target="the previous verified release"
fi
if [[ "$no_browser" == true ]]; then
  args+=(--no-browser)
  info "WARNING --no-browser: the release brought back will not be looked at in a browser"
fi

require_dagger
announce_dry_run
[[ "$DRY_RUN" == true ]] || info "rolling $LH_ENV back to $target"
run "$DAGGER" "${args[@]}"
