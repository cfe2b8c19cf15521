# shellcheck shell=bash
# Shared by the staging operator scripts (sourced, never run): where the repository is, how the
# Dagger CLI is called, --dry-run, and errors that say what to do. Each script sets SCRIPT_NAME and
# USAGE before sourcing this file.

# CDPATH would make `cd DIR` go elsewhere (and print where): paths here mean what they say.
unset CDPATH

# Sets REPLY to the physical path of the folder $1. A folder name may end with a newline, which
# command substitution drops: the output ends with a sentinel, removed after it. A relative name
# gets ./ so that one starting with a dash (or "-" itself) is not taken for an option.
physical_dir() {
  local dir="$1"
  [[ "$dir" == /* ]] || dir="./$dir"
  REPLY="$(cd -- "$dir" && pwd -P && printf '.')" || return 1
  REPLY="${REPLY%.}"
  REPLY="${REPLY%$'\n'}"
}

# The repository root, found from this file's own location so the scripts work from any directory.
physical_dir "${BASH_SOURCE[0]%/*}/../.."
LH_ROOT="$REPLY"
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

# Sets REPLY to the absolute path of a file given relative to the caller's directory (the
# commands run from the root), byte for byte: no basename/dirname (a name may start with a dash)
# and no command substitution around the name (a folder name may end with a newline).
absolute_path() {
  local dir="." base="$1"
  if [[ "$1" == */* ]]; then
    dir="${1%/*}"
    base="${1##*/}"
    [[ -n "$dir" ]] || dir="/"
  fi
  physical_dir "$dir" || return 1
  REPLY="${REPLY%/}/$base"
}

# Sets REPLY to an absolute path inside the repository made relative to its root (./ in front
# when it would start with a dash), or to the path itself when it is outside.
root_relative() {
  case "$1" in
    "$LH_ROOT"/*) REPLY="${1#"$LH_ROOT"/}" ;;
    *) REPLY="$1" ;;
  esac
  [[ "$REPLY" != -* ]] || REPLY="./$REPLY"
}

# A name as the shell would quote it, for messages: control characters and newlines show as $'...'.
shown() { printf '%q' "$1"; }
