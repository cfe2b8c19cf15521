# shellcheck shell=bash
# Shared by the staging operator scripts (sourced, never run): where the repository is, how the
# Dagger CLI is called, --dry-run, and errors that say what to do. Each script sets SCRIPT_NAME and
# USAGE before sourcing this file.

# The repository root, found from this file's own location so the scripts work from any directory.
LH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# The Dagger CLI to call; DAGGER=/path/to/dagger picks another binary (a pinned one, say).
DAGGER="${DAGGER:-dagger}"
# The environment these scripts operate on. Only staging exists; the name is not an option on purpose.
# shellcheck disable=SC2034 # read by the scripts that source this file
LH_ENV="staging"
DRY_RUN=false

info() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }

# An operation failed or cannot start: exit 1.
die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

# The command line is wrong: say why, show the usage line, exit 2.
usage_error() {
  printf '%s: %s\n%s\nRun %s --help for details.\n' "$SCRIPT_NAME" "$*" "$(usage_line)" "$SCRIPT_NAME" >&2
  exit 2
}

usage_line() { printf '%s\n' "$USAGE" | head -n 1; }

# A command as a shell reads it back (arguments quoted where needed), for --dry-run and logs.
quote_command() {
  local quoted
  printf -v quoted '%q ' "$@"
  printf '%s\n' "${quoted% }"
}

# Runs a command from the repository root (exit 1 when it fails), or under --dry-run only prints it
# on stdout.
run() {
  if [[ "$DRY_RUN" == true ]]; then
    quote_command "$@"
    return 0
  fi
  info "running: $(quote_command "$@")"
  local status=0
  (cd "$LH_ROOT" && "$@") || status=$?
  [[ "$status" -eq 0 ]] || die "$(quote_command "$@") failed (exit $status); its output above says why"
}

announce_dry_run() {
  if [[ "$DRY_RUN" == true ]]; then
    info "dry run: nothing is executed; these commands would run in $LH_ROOT:"
  fi
}

require_dagger() {
  [[ "$DRY_RUN" == true ]] && return 0
  command -v "$DAGGER" >/dev/null 2>&1 ||
    die "the Dagger CLI '$DAGGER' was not found: install Dagger (the version in dagger.json, https://docs.dagger.io/install) or set DAGGER=/path/to/dagger"
}

# A path given relative to the caller's directory, made absolute (the commands run from the root).
absolute_path() {
  local dir
  dir="$(cd "$(dirname "$1")" && pwd -P)" || return 1
  printf '%s/%s\n' "$dir" "$(basename "$1")"
}

# Shortens an absolute path inside the repository to a path relative to its root.
root_relative() {
  case "$1" in
    "$LH_ROOT"/*) printf '%s\n' "${1#"$LH_ROOT"/}" ;;
    *) printf '%s\n' "$1" ;;
  esac
}
