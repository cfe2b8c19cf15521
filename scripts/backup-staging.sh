#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `./scripts/backup-staging.sh`: a backup of the staging database taken through the
# Dagger module (pg_dump runs inside the stack's own network), exported with its checksum sidecar
# into backups/staging/, then the 7-day retention applied by the toolkit.
set -euo pipefail

SCRIPT_NAME="${BASH_SOURCE[0]##*/}"
USAGE="Usage: $SCRIPT_NAME [--dry-run] [--help]

Backs up the staging database into backups/staging/lawyers_hub_staging_<UTC timestamp>.sql (with
its .json sidecar: checksum, size, row counts, newest migration), then deletes backups older than
7 days (the newest one is always kept). The last line on stdout is the path of the new backup.

  --dry-run   print the commands that would run, run nothing
  -h, --help  this help

Environment: DAGGER names the Dagger CLI binary (default: dagger).
Exit codes: 0 done, 1 the backup or the retention failed, 2 bad usage."
# No dirname(1), no command substitution: the script's folder is used as it is, byte for byte.
SCRIPT_DIR=.
[[ "${BASH_SOURCE[0]}" != */* ]] || SCRIPT_DIR="${BASH_SOURCE[0]%/*}"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

BACKUP_DIR="backups/$LH_ENV"
KEEP_DAYS=7

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      printf '%s\n' "$USAGE"
      exit 0
      ;;
    --dry-run) DRY_RUN=true ;;
    *) usage_error "unexpected argument '$1' (this script takes no arguments)" ;;
  esac
  shift
done

# Backups of this environment in the folder, oldest first (the UTC timestamp in the name sorts).
# The exact pattern, not a glob: a name holding a newline would split into two lines.
list_backups() {
  find "$LH_ROOT/$BACKUP_DIR" -maxdepth 1 -type f -regextype posix-extended \
    -regex ".*/lawyers_hub_${LH_ENV}_[0-9]{8}T[0-9]{6}Z(-[0-9]{1,3})?\.sql(\.gz)?" -printf '%f\n' | sort
}

require_dagger
announce_dry_run
if [[ "$DRY_RUN" != true ]]; then
  mkdir -p -- "$LH_ROOT/$BACKUP_DIR"
  before="$(list_backups)"
fi

run "$DAGGER" call backup-files --env "$LH_ENV" export --path "$BACKUP_DIR"

if [[ "$DRY_RUN" != true ]]; then
  # The backup is the file the export added (its name carries the time it was taken).
  new_backup="$(comm -13 <(printf '%s\n' "$before") <(list_backups) | tail -n 1)"
  [[ -n "$new_backup" ]] ||
    die "the export finished but no new lawyers_hub_${LH_ENV}_*.sql appeared in $LH_ROOT/$BACKUP_DIR; read the dagger output above"
  [[ -f "$LH_ROOT/$BACKUP_DIR/$new_backup.json" ]] ||
    die "the backup $BACKUP_DIR/$new_backup arrived without its sidecar $new_backup.json: it cannot be verified or restored; take the backup again"
fi

# npx --no: use the toolkit installed in this repository, never download a package of that name.
run npx --no -- lh-ci backup prune --dir "$BACKUP_DIR" --keep-days "$KEEP_DAYS"

if [[ "$DRY_RUN" != true ]]; then
  info "backup saved: $BACKUP_DIR/$new_backup ($(du -h -- "$LH_ROOT/$BACKUP_DIR/$new_backup" | cut -f1)), sidecar $new_backup.json"
  printf '%s\n' "$LH_ROOT/$BACKUP_DIR/$new_backup"
fi
