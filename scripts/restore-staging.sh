#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `./scripts/restore-staging.sh backups/staging/lawyers_hub_staging_TIMESTAMP.sql`:
# restores a staging backup through the Dagger module. The toolkit inside checks the backup
# against its sidecar, refuses a backup of another environment, takes a safety backup of the
# current database first, and restores in one transaction (a failed restore changes nothing).
set -euo pipefail

SCRIPT_NAME="${BASH_SOURCE[0]##*/}"
USAGE="Usage: $SCRIPT_NAME [--dry-run] [--yes] [--help] FILE

Restores FILE over the staging database. FILE is a backup named
lawyers_hub_staging_<YYYYMMDDTHHMMSSZ>.sql (or .sql.gz), with its sidecar FILE.json beside it,
as ./scripts/backup-staging.sh leaves them in backups/staging/.

  --yes       do not ask: the restore replaces the current data (a safety backup is taken first)
  --allow-unsigned
              DANGEROUS: restore a backup that is not signed with the environment's key
              (a dump you made yourself and trust; its content is still checked)
  --dry-run   print the command that would run, run nothing
  -h, --help  this help

Without --yes the script asks you to type the environment name, and refuses when it cannot ask
(no terminal).
Environment: DAGGER names the Dagger CLI binary (default: dagger).
Exit codes: 0 restored, 1 the restore failed or was not confirmed, 2 bad usage."
# No dirname(1), no command substitution: the script's folder is used as it is, byte for byte.
SCRIPT_DIR=.
[[ "${BASH_SOURCE[0]}" != */* ]] || SCRIPT_DIR="${BASH_SOURCE[0]%/*}"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

assume_yes=false
allow_unsigned=()
positionals=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      printf '%s\n' "$USAGE"
      exit 0
      ;;
    --dry-run) DRY_RUN=true ;;
    --yes) assume_yes=true ;;
    --allow-unsigned) allow_unsigned=(--allow-unsigned=true) ;;
    --) shift && positionals+=("$@") && break ;;
    -*) usage_error "unknown option '$1'" ;;
    *) positionals+=("$1") ;;
  esac
  shift
done
[[ ${#positionals[@]} -ge 1 ]] ||
  usage_error "missing FILE: name the backup to restore, e.g. backups/$LH_ENV/lawyers_hub_${LH_ENV}_20261125T101500Z.sql"
[[ ${#positionals[@]} -eq 1 ]] || usage_error "expected one FILE, got ${#positionals[@]}: ${positionals[*]}"
given="${positionals[0]}"

# The name without basename(1): a path may start with a dash.
name="${given##*/}"
if [[ ! "$name" =~ ^lawyers_hub_${LH_ENV}_[0-9]{8}T[0-9]{6}Z(-([2-9]|[1-9][0-9]{1,2}))?\.sql(\.gz)?$ ]]; then
  usage_error "'$(shown "$name")' is not named like a $LH_ENV backup (lawyers_hub_${LH_ENV}_<YYYYMMDDTHHMMSSZ>.sql or .sql.gz); pick one from backups/$LH_ENV/"
fi
# The file is checked, and passed on, under one and the same path, resolved once.
absolute_path "$given" || usage_error "no such file: $(shown "$given") (list the backups with: ls backups/$LH_ENV/)"
path="$REPLY"
[[ -f "$path" ]] || usage_error "no such file: $(shown "$given") (list the backups with: ls backups/$LH_ENV/)"
[[ -f "$path.json" ]] ||
  usage_error "the sidecar $(shown "$given").json is missing: without its checksum the backup cannot be verified, so it is not restored"

# The commands run from the repository root: name the files so that they resolve from there.
root_relative "$path"
file="$REPLY"

require_dagger
if [[ "$DRY_RUN" != true && "$assume_yes" != true ]]; then
  [[ -t 0 ]] ||
    die "refusing to restore without confirmation: no terminal to ask on; run it again with --yes to replace the $LH_ENV database with $name"
  printf 'This replaces the %s database with %s (a safety backup of the current data is taken first).\nType the environment name (%s) to continue: ' \
    "$LH_ENV" "$name" "$LH_ENV" >&2
  read -r answer
  [[ "$answer" == "$LH_ENV" ]] || die "not confirmed (typed '$answer', expected '$LH_ENV'); nothing was changed"
fi

announce_dry_run
[[ ${#allow_unsigned[@]} -eq 0 ]] || info "WARNING: --allow-unsigned: the backup's signature is NOT checked, only its content"
run "$DAGGER" call restore --env "$LH_ENV" --file "$file" --sidecar "$file.json" "${allow_unsigned[@]}"
