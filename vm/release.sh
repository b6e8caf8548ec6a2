#!/usr/bin/env bash
# shellcheck shell=bash
#
# release.sh: the one script the deployer runs on a host, by SSM Run Command
# or over SSH alike (piped to `bash -s`), or locally in a rehearsal.
#
# It installs a release of a service under INSTALL_DIR and switches to it:
#
#   INSTALL_DIR/releases/<VERSION>/   one directory per unpacked artifact
#   INSTALL_DIR/current  -> releases/<VERSION>   what the service runs (symlink)
#   INSTALL_DIR/previous -> releases/<VERSION>   what `current` was before the last switch
#   INSTALL_DIR/.deployer/             lock file and temporary files of this script
#
# INPUTS (environment variables; every one is validated before anything is
# touched; a bad value exits 2 with a message naming it):
#
#   DEPLOYER_MODE            deploy | rollback                       (default deploy)
#   SERVICE_NAME             ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$      required
#   VERSION                  ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$       deploy: required
#   ARTIFACT_URL             https://... (a presigned URL) or file:///... (rehearsal)
#                                                                    deploy: required
#   ARTIFACT_SHA256          64 hex digits                           deploy: required
#   INSTALL_DIR              absolute path; components [A-Za-z0-9_][A-Za-z0-9._-]*
#                                                                    required
#   KEEP_RELEASES            integer >= 2                            (default 5)
#   START_COMMAND            service control, run with `bash -c`     (default: systemctl start "$SERVICE_NAME")
#   STOP_COMMAND             service control, run with `bash -c`     (default: systemctl stop "$SERVICE_NAME")
#   STATUS_COMMAND           optional; must exit 0 for the service to count as healthy
#   USE_SUDO                 true | false: run service control (and chown to OWNER) with `sudo -n`
#                                                                    (default false)
#   OWNER                    optional user[:group] owning the release files
#   MIN_FREE_MB              free space needed on INSTALL_DIR's file system (default 100)
#   HEALTH_URL               optional http(s) URL; a 2xx answer counts as healthy
#   HEALTH_EXPECT            optional text the health answer's body must contain (literally)
#   HEALTH_RETRIES           attempts before the health check fails (default 10)
#   HEALTH_INTERVAL_SECONDS  seconds between attempts, decimals allowed (default 3)
#   SMOKE_COMMANDS           optional; one command per line, each run with `bash -c`
#   CONFIG_TEMPLATE          optional; file in the release rendered to CONFIG_TARGET
#   CONFIG_TARGET            path (relative to the release) of the rendered file
#   CONFIG_VARS              optional; base64 of KEY=VALUE lines (KEY ^[A-Z_][A-Z0-9_]*$);
#                            each {{KEY}} in the template is replaced by VALUE, literally
#   ROLLBACK_TO              rollback: optional release to return to (default: INSTALL_DIR/previous)
#   DEPLOYMENT_ID            deploy: optional name of the deployment (its execution), kept
#                            in INSTALL_DIR/.deployer/journal with what the run changes
#   ROLLBACK_OF              rollback without ROLLBACK_TO: undo what the deployment of this
#                            DEPLOYMENT_ID changed on the host, if it is still the host's last
#                            change; a host it did not change (never switched, switched back,
#                            already on that release) is left as it is
#   SERVICE_TIMEOUT_SECONDS  limit for each service control or smoke command (default 120)
#   DOWNLOAD_TIMEOUT_SECONDS limit for the download (default 900)
#   LOCK_WAIT_SECONDS        how long to wait for another run of this script in
#                            INSTALL_DIR to end (default 0: refuse at once). A
#                            rollback sent while a stopped deployment's run is
#                            still ending (cancelled, restoring its previous
#                            release) waits for it instead of failing.
#
# Service control, status and smoke commands come from the team's config
# (trusted). They run with `bash -c`, stdin closed and output captured to a
# file (a service that daemonizes cannot hang this script), in an environment
# holding only PATH, HOME, USER, LANG, SERVICE_NAME and INSTALL_DIR: values
# from a deployment's input (VERSION, ARTIFACT_URL, ARTIFACT_SHA256,
# CONFIG_VARS) never reach them, neither as text nor as variables.
#
# PHASES: a line `DEPLOYER_PHASE <name>` as each starts.
#   deploy:   validate preflight download unpack configure permissions stop switch
#             start health smoke cleanup
#   rollback: validate preflight stop switch start health
# The artifact's sha256 is verified before anything is unpacked. A failure
# after `stop` switches `current` back to the release it had, starts and checks
# it, and prints `DEPLOYER_ROLLED_BACK <version>`. Deploying the version that
# is already current with the same sha256 changes nothing (its health is checked).
#
# OUTPUT: always ends with exactly one line
#   DEPLOYER_RESULT {"status":"SUCCEEDED|FAILED|ROLLED_BACK","phase":"...","previous":"...",
#                    "current":"...","message":"...","mode":"...","version":"..."}
# status ROLLED_BACK: the change failed and the host serves again what it served
# before; phase: the phase that failed (the last one, on success); previous: the
# release serving before this run; current: the release serving now.
# EXIT CODE: 0 SUCCEEDED, 1 FAILED or ROLLED_BACK, 2 invalid input.
#
# HOST NEEDS: bash >= 4.2, curl, tar + gzip, sha256sum, base64, flock,
# timeout, mktemp, df, find, realpath (GNU coreutils/util-linux), systemd for
# the default service commands, sudo when USE_SUDO=true.
#
# The whole script is defined as functions and runs from its last line, so
# `bash -s` parses all of it before running anything, and nothing it starts
# can read the rest of the script from stdin.

set -uo pipefail
export LC_ALL=C
umask 022
# `&` in a ${var//pattern/replacement} replacement must stay literal (bash >= 5.2).
shopt -u patsub_replacement 2>/dev/null || true

readonly NAME_RE='^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'
readonly VERSION_RE='^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
readonly DEPLOYMENT_ID_RE='^[A-Za-z0-9_-]{1,80}$'
readonly SHA_RE='^[0-9a-fA-F]{64}$'
readonly DIR_RE='^(/[A-Za-z0-9_][A-Za-z0-9._-]*)+$'
readonly REL_RE='^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$'
readonly URL_CHARS="[A-Za-z0-9._~:/?#@!\$&'()*+,;=%-]"
readonly HTTPS_RE="^https://${URL_CHARS}+\$"
readonly FILE_RE='^file:///[A-Za-z0-9._~/%+-]+$'
readonly HEALTH_RE="^https?://${URL_CHARS}+\$"
readonly OWNER_RE='^[a-z_][a-z0-9_.-]{0,31}(:[a-z_][a-z0-9_.-]{0,31})?$'
readonly KEY_RE='^[A-Z_][A-Z0-9_]*$'
readonly INT_RE='^[0-9]{1,6}$'
readonly SECONDS_RE='^[0-9]{1,4}(\.[0-9]{1,3})?$'

# What the result line reports; set as the run goes.
PHASE=''
PREVIOUS=''
CURRENT=''
RESULT_PRINTED=0
# Set once the service may have been stopped: a failure from then on restores.
STOPPED=0
# Where the deployment stood before it switched, for the restore.
OLD_RELEASE=''
OLD_PREVIOUS=''
TMP_DIR=''
# What the last deployment changed here (INSTALL_DIR/.deployer/journal): who, from, to, and
# whether it finished. A run killed while it changed the host (SSM's cancel is a SIGKILL)
# leaves `changing`: the next run puts the host back first.
JOURNAL=''
J_DEPLOYMENT=''
J_FROM=''
J_PREVIOUS=''
J_TO=''
J_STATE=''
declare -a CONTROL_ENV=()
declare -A VARS=()

say() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*"; }

phase() {
  PHASE=$1
  say "DEPLOYER_PHASE $1"
}

# A JSON string literal of $1: quotes, backslashes and control characters escaped.
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=${s//[$'\x01'-$'\x1f']/ }
  printf '"%s"' "$s"
}

result() { # status message
  ((RESULT_PRINTED)) && return 0
  RESULT_PRINTED=1
  printf 'DEPLOYER_RESULT {"status":%s,"phase":%s,"previous":%s,"current":%s,"message":%s,"mode":%s,"version":%s}\n' \
    "$(json_string "$1")" "$(json_string "$PHASE")" "$(json_string "$PREVIOUS")" "$(json_string "$CURRENT")" \
    "$(json_string "$2")" "$(json_string "${DEPLOYER_MODE:-}")" "$(json_string "${VERSION:-}")"
}

cleanup_tmp() {
  if [[ -n $TMP_DIR && -d $TMP_DIR ]]; then rm -rf -- "$TMP_DIR"; fi
  return 0
}

# Refuse an input: nothing has been touched.
invalid() {
  say "ERROR: $1"
  result FAILED "$1"
  exit 2
}

# A failure: before the stop nothing changed; after it, restore what served.
fail() {
  local message=$1
  say "ERROR: $message (phase $PHASE)"
  if ((STOPPED)); then
    restore "$message"
  else
    result FAILED "$message"
  fi
  cleanup_tmp
  exit 1
}

# shellcheck disable=SC2317 # called by trap
on_signal() {
  trap - TERM INT HUP
  fail "interrupted by signal $1"
}

# Whatever ends the script (an unbound variable, a bug): never without a result,
# never with the service stopped.
# shellcheck disable=SC2317 # called by trap
on_exit() {
  local rc=$?
  ((RESULT_PRINTED)) && return 0
  say "ERROR: the script ended unexpectedly (exit $rc) in phase ${PHASE:-none}"
  if ((STOPPED)); then
    restore "the script ended unexpectedly in phase $PHASE"
  else
    result FAILED "the script ended unexpectedly (exit $rc) in phase ${PHASE:-none}"
  fi
  cleanup_tmp
  exit 1
}

# ---------------------------------------------------------------- validation

need() { # name regex hint
  local value=${!1-}
  [[ -n $value ]] || invalid "$1 is required ($3)"
  [[ $value =~ $2 ]] || invalid "$1 is not valid: must be $3"
}

# An integer variable, defaulted, at least a minimum; normalized (no leading zeros).
integer() { # name default minimum hint
  local value=${!1:-$2}
  [[ $value =~ $INT_RE ]] || invalid "$1 is not valid: must be $4"
  value=$((10#$value))
  ((value >= $3)) || invalid "$1 is not valid: must be $4"
  printf -v "$1" '%s' "$value"
}

maybe() { # name regex hint: validated only when set
  local value=${!1-}
  [[ -z $value || $value =~ $2 ]] || invalid "$1 is not valid: must be $3"
}

validate() {
  phase validate
  DEPLOYER_MODE=${DEPLOYER_MODE:-deploy}
  [[ $DEPLOYER_MODE == deploy || $DEPLOYER_MODE == rollback ]] || invalid "DEPLOYER_MODE is not valid: must be deploy or rollback"
  need SERVICE_NAME "$NAME_RE" 'letters, digits, . _ @ -, at most 64, starting with a letter or digit'
  need INSTALL_DIR "$DIR_RE" 'an absolute path of letters, digits, . _ - (no . or .. components, no trailing /)'
  ((${#INSTALL_DIR} <= 200)) || invalid 'INSTALL_DIR is not valid: at most 200 characters'
  if [[ $DEPLOYER_MODE == deploy ]]; then
    need VERSION "$VERSION_RE" 'letters, digits, . _ -, at most 64, starting with a letter or digit'
    need ARTIFACT_SHA256 "$SHA_RE" '64 hexadecimal digits'
    [[ -n ${ARTIFACT_URL:-} ]] || invalid 'ARTIFACT_URL is required (an https:// presigned URL or a file:/// path)'
    ((${#ARTIFACT_URL} <= 8192)) || invalid 'ARTIFACT_URL is not valid: at most 8192 characters'
    [[ $ARTIFACT_URL =~ $HTTPS_RE || $ARTIFACT_URL =~ $FILE_RE ]] ||
      invalid 'ARTIFACT_URL is not valid: must be an https:// URL (no spaces or quotes) or file:/// followed by a path'
    maybe DEPLOYMENT_ID "$DEPLOYMENT_ID_RE" 'a deployment name: 1-80 letters, digits, _ or -'
  else
    maybe VERSION "$VERSION_RE" 'letters, digits, . _ -, at most 64, starting with a letter or digit'
    maybe ROLLBACK_TO "$VERSION_RE" 'a release name: letters, digits, . _ -, starting with a letter or digit'
    maybe ROLLBACK_OF "$DEPLOYMENT_ID_RE" 'a deployment name: 1-80 letters, digits, _ or -'
  fi
  integer KEEP_RELEASES 5 2 'an integer of at least 2'
  START_COMMAND=${START_COMMAND:-systemctl start \"\$SERVICE_NAME\"}
  STOP_COMMAND=${STOP_COMMAND:-systemctl stop \"\$SERVICE_NAME\"}
  STATUS_COMMAND=${STATUS_COMMAND:-}
  USE_SUDO=${USE_SUDO:-false}
  [[ $USE_SUDO == true || $USE_SUDO == false ]] || invalid 'USE_SUDO is not valid: must be true or false'
  maybe OWNER "$OWNER_RE" 'user or user:group (lower-case names)'
  integer MIN_FREE_MB 100 0 'a whole number of megabytes'
  if [[ -n ${HEALTH_URL:-} ]]; then
    ((${#HEALTH_URL} <= 2048)) || invalid 'HEALTH_URL is not valid: at most 2048 characters'
    [[ $HEALTH_URL =~ $HEALTH_RE ]] || invalid 'HEALTH_URL is not valid: must be an http:// or https:// URL (no spaces or quotes)'
  fi
  HEALTH_EXPECT=${HEALTH_EXPECT:-}
  ((${#HEALTH_EXPECT} <= 256)) || invalid 'HEALTH_EXPECT is not valid: at most 256 characters'
  [[ $HEALTH_EXPECT != *[$'\n\r']* ]] || invalid 'HEALTH_EXPECT is not valid: one line only'
  [[ -z $HEALTH_EXPECT || -n ${HEALTH_URL:-} ]] || invalid 'HEALTH_EXPECT needs HEALTH_URL'
  integer HEALTH_RETRIES 10 1 'an integer of at least 1'
  HEALTH_INTERVAL_SECONDS=${HEALTH_INTERVAL_SECONDS:-3}
  [[ $HEALTH_INTERVAL_SECONDS =~ $SECONDS_RE ]] || invalid 'HEALTH_INTERVAL_SECONDS is not valid: must be a number of seconds (e.g. 3 or 0.5)'
  integer SERVICE_TIMEOUT_SECONDS 120 1 'an integer of at least 1'
  integer DOWNLOAD_TIMEOUT_SECONDS 900 1 'an integer of at least 1'
  integer LOCK_WAIT_SECONDS 0 0 'a whole number of seconds'
  SMOKE_COMMANDS=${SMOKE_COMMANDS:-}
  CONFIG_TEMPLATE=${CONFIG_TEMPLATE:-}
  CONFIG_TARGET=${CONFIG_TARGET:-}
  CONFIG_VARS=${CONFIG_VARS:-}
  maybe CONFIG_TEMPLATE "$REL_RE" 'a path relative to the release (letters, digits, . _ -, no . or .. components)'
  maybe CONFIG_TARGET "$REL_RE" 'a path relative to the release (letters, digits, . _ -, no . or .. components)'
  [[ -z $CONFIG_TEMPLATE || -n $CONFIG_TARGET ]] || invalid 'CONFIG_TARGET is required with CONFIG_TEMPLATE (where the rendered file goes)'
  [[ -n $CONFIG_TEMPLATE || -z $CONFIG_TARGET ]] || invalid 'CONFIG_TEMPLATE is required with CONFIG_TARGET (the file to render)'
  [[ -z $CONFIG_TEMPLATE || $CONFIG_TEMPLATE != "$CONFIG_TARGET" ]] || invalid 'CONFIG_TARGET must differ from CONFIG_TEMPLATE'
  [[ $DEPLOYER_MODE != deploy ]] || decode_config_vars
}

# CONFIG_VARS: base64 of KEY=VALUE lines, into VARS. Values are kept as text.
decode_config_vars() {
  [[ -n $CONFIG_VARS ]] || return 0
  [[ $CONFIG_VARS =~ ^[A-Za-z0-9+/=[:space:]]+$ ]] || invalid 'CONFIG_VARS is not valid: must be base64 of KEY=VALUE lines'
  command -v base64 >/dev/null 2>&1 || invalid 'CONFIG_VARS needs base64 (coreutils) on the host'
  local decoded line key number=0
  decoded=$(printf '%s' "$CONFIG_VARS" | base64 -d 2>/dev/null && printf x) || invalid 'CONFIG_VARS is not valid: not base64'
  decoded=${decoded%x}
  # bash drops NUL bytes from a variable: count them in the decoded bytes.
  [[ $(printf '%s' "$CONFIG_VARS" | base64 -d 2>/dev/null | tr -cd '\000' | wc -c) -eq 0 ]] ||
    invalid 'CONFIG_VARS is not valid: contains a NUL byte'
  while IFS= read -r line || [[ -n $line ]]; do
    number=$((number + 1))
    [[ -n $line ]] || continue
    [[ $line == *=* ]] || invalid "CONFIG_VARS line $number is not valid: must be KEY=VALUE"
    key=${line%%=*}
    [[ $key =~ $KEY_RE ]] || invalid "CONFIG_VARS line $number is not valid: the key must match [A-Z_][A-Z0-9_]*"
    [[ -z ${VARS[$key]+set} ]] || invalid "CONFIG_VARS line $number is not valid: $key is given twice"
    VARS[$key]=${line#*=}
  done <<<"$decoded"
}

# ------------------------------------------------------------------- helpers

# The release a symlink under INSTALL_DIR names (`releases/<v>` -> <v>), or nothing.
release_of() {
  local target
  target=$(readlink -- "$INSTALL_DIR/$1" 2>/dev/null) || return 0
  target=${target#"$INSTALL_DIR/"}
  target=${target#releases/}
  [[ $target =~ $VERSION_RE ]] && printf '%s' "$target"
  return 0
}

# Point INSTALL_DIR/<name> at releases/<version> by renaming a new symlink over it.
point() { # name version
  local tmp="$INSTALL_DIR/.$1.tmp.$$"
  rm -f -- "$tmp"
  ln -s -- "releases/$2" "$tmp" && mv -T -f -- "$tmp" "$INSTALL_DIR/$1"
}

unpoint() { # name
  rm -f -- "$INSTALL_DIR/$1"
}

# Run a command from the config (trusted) with a minimal environment, stdin
# closed, output to a file (its tail is printed), within SERVICE_TIMEOUT_SECONDS.
run_control() { # label command
  local label=$1 command=$2 out rc
  out=$(mktemp "$TMP_DIR/$label.XXXXXX") || return 1
  local -a runner=(timeout -k 5 "$SERVICE_TIMEOUT_SECONDS")
  [[ $USE_SUDO == true ]] && runner+=(sudo -n --)
  # The service gets the default SIGPIPE this script ignores, and not the lock.
  (
    trap - PIPE
    exec "${runner[@]}" env -i "${CONTROL_ENV[@]}" bash -c "$command" </dev/null >"$out" 2>&1 9>&-
  )
  rc=$?
  if [[ -s $out ]]; then
    tail -n 20 -- "$out" | sed "s/^/  [$label] /"
  fi
  ((rc == 124)) && say "  [$label] timed out after ${SERVICE_TIMEOUT_SECONDS}s"
  return "$rc"
}

as_owner() { # command...
  if [[ $USE_SUDO == true ]]; then sudo -n -- "$@"; else "$@"; fi
}

# One health check: STATUS_COMMAND exits 0 and HEALTH_URL answers 2xx (with HEALTH_EXPECT).
healthy_once() {
  if [[ -n $STATUS_COMMAND ]]; then
    run_control status "$STATUS_COMMAND" || { say "  status command failed"; return 1; }
  fi
  [[ -n ${HEALTH_URL:-} ]] || return 0
  local body="$TMP_DIR/health-body" code
  code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 5 --max-filesize 1048576 \
    --proto '=http,https' -- "$HEALTH_URL" 2>/dev/null </dev/null) || code=${code:-000}
  if [[ ! $code =~ ^2[0-9][0-9]$ ]]; then
    say "  health: HTTP ${code:-000}"
    return 1
  fi
  if [[ -n $HEALTH_EXPECT ]] && ! grep -F -q -e "$HEALTH_EXPECT" -- "$body"; then
    say "  health: HTTP $code but the body does not contain the expected text"
    return 1
  fi
  say "  health: HTTP $code"
  return 0
}

healthy() {
  local attempt
  for ((attempt = 1; attempt <= HEALTH_RETRIES; attempt++)); do
    say "  health check $attempt/$HEALTH_RETRIES"
    healthy_once && return 0
    ((attempt < HEALTH_RETRIES)) && sleep "$HEALTH_INTERVAL_SECONDS"
  done
  return 1
}

# After a failure past the stop: back to OLD_RELEASE, started and checked.
restore() { # why
  local why=$1 failed_phase=$PHASE
  trap '' TERM INT HUP
  say "DEPLOYER_PHASE rollback"
  # A deploy puts back what it changed: nothing of it is left to undo.
  if [[ $DEPLOYER_MODE == deploy && -n $JOURNAL ]]; then rm -f -- "$JOURNAL"; fi
  run_control stop "$STOP_COMMAND" || warn "stop during the rollback failed; starting ${OLD_RELEASE:-nothing} anyway"
  if [[ -z $OLD_RELEASE ]]; then
    unpoint current
    CURRENT=''
    PHASE=$failed_phase
    result FAILED "$why; no previous release to return to: the service is stopped"
    return 0
  fi
  point current "$OLD_RELEASE" || { PHASE=$failed_phase; result FAILED "$why; and switching back to $OLD_RELEASE failed"; return 0; }
  if [[ -n $OLD_PREVIOUS ]]; then point previous "$OLD_PREVIOUS"; else unpoint previous; fi
  CURRENT=$OLD_RELEASE
  if ! run_control start "$START_COMMAND"; then
    PHASE=$failed_phase
    result FAILED "$why; and $OLD_RELEASE did not start again"
    return 0
  fi
  if ! healthy; then
    PHASE=$failed_phase
    result FAILED "$why; and $OLD_RELEASE is not healthy again"
    return 0
  fi
  say "DEPLOYER_ROLLED_BACK $OLD_RELEASE"
  PHASE=$failed_phase
  result ROLLED_BACK "$why; back on $OLD_RELEASE"
}

# ------------------------------------------------------------------ journal

journal_write() { # state
  local tmp="$JOURNAL.tmp"
  printf 'deployment=%s\nfrom=%s\nprevious=%s\nto=%s\nstate=%s\n' \
    "${DEPLOYMENT_ID:-}" "$OLD_RELEASE" "$OLD_PREVIOUS" "$VERSION" "$1" >"$tmp" && mv -f -T -- "$tmp" "$JOURNAL"
}

# Read the journal into J_*; false when there is none. Values are checked as inputs are.
journal_read() {
  J_DEPLOYMENT='' J_FROM='' J_PREVIOUS='' J_TO='' J_STATE=''
  [[ -f $JOURNAL ]] || return 1
  local key value
  while IFS='=' read -r key value; do
    case $key in
      deployment) [[ $value =~ $DEPLOYMENT_ID_RE ]] && J_DEPLOYMENT=$value ;;
      from) [[ $value =~ $VERSION_RE ]] && J_FROM=$value ;;
      previous) [[ $value =~ $VERSION_RE ]] && J_PREVIOUS=$value ;;
      to) [[ $value =~ $VERSION_RE ]] && J_TO=$value ;;
      state) [[ $value == changing || $value == finished ]] && J_STATE=$value ;;
    esac
  done <"$JOURNAL"
  return 0
}

# A run was killed while it changed the host: put back the release it replaced, started.
recover_interrupted() {
  say "  a run of ${J_DEPLOYMENT:-a deployment} was killed while it changed this host (${J_FROM:-none} -> ${J_TO:-?}): restoring ${J_FROM:-no release} first"
  run_control stop "$STOP_COMMAND" || warn 'the stop command failed; going on'
  if [[ -n $J_FROM ]]; then
    [[ -d $INSTALL_DIR/releases/$J_FROM ]] || fail "cannot restore $J_FROM after an interrupted run: it is not installed"
    point current "$J_FROM" || fail "cannot switch current back to $J_FROM after an interrupted run"
    if [[ -n $J_PREVIOUS ]]; then point previous "$J_PREVIOUS"; else unpoint previous; fi
    run_control start "$START_COMMAND" || fail "$J_FROM did not start again after an interrupted run"
  else
    unpoint current
  fi
  rm -f -- "$JOURNAL"
  say "  restored ${J_FROM:-no release} after the interrupted run"
}

# ------------------------------------------------------------------- phases

preflight() {
  phase preflight
  # Read first: every result, even a refusal, says what serves.
  OLD_RELEASE=$(release_of current)
  OLD_PREVIOUS=$(release_of previous)
  PREVIOUS=$OLD_RELEASE
  CURRENT=$OLD_RELEASE
  local tool
  local -a tools=(tar gzip flock timeout mktemp df find realpath readlink mv ln sed tail grep awk sort)
  [[ $DEPLOYER_MODE == deploy ]] && tools+=(curl sha256sum)
  [[ -n ${HEALTH_URL:-} ]] && tools+=(curl)
  [[ $USE_SUDO == true ]] && tools+=(sudo)
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed on the host"
  done
  mkdir -p -- "$INSTALL_DIR/releases" "$INSTALL_DIR/.deployer" || fail "cannot create $INSTALL_DIR/releases"
  local link
  for link in current previous; do
    if [[ -e $INSTALL_DIR/$link && ! -L $INSTALL_DIR/$link ]]; then
      fail "$INSTALL_DIR/$link is not a symlink: move it away, the deployer owns it"
    fi
  done
  exec 9>"$INSTALL_DIR/.deployer/lock" || fail "cannot open the lock file in $INSTALL_DIR/.deployer"
  if ! flock -n 9; then
    ((LOCK_WAIT_SECONDS > 0)) || fail "another release script is running in $INSTALL_DIR"
    say "  another release script is running in $INSTALL_DIR: waiting up to ${LOCK_WAIT_SECONDS}s for it to end"
    flock -w "$LOCK_WAIT_SECONDS" 9 || fail "another release script is still running in $INSTALL_DIR after ${LOCK_WAIT_SECONDS}s"
  fi
  # Under the lock no other run is alive: what a killed run left is garbage.
  find "$INSTALL_DIR/.deployer" -mindepth 1 -maxdepth 1 -name 'run.*' -exec rm -rf -- {} + 2>/dev/null
  find "$INSTALL_DIR/releases" -mindepth 1 -maxdepth 1 -name '.unpack.*' -exec rm -rf -- {} + 2>/dev/null
  rm -f -- "$INSTALL_DIR"/.current.tmp.* "$INSTALL_DIR"/.previous.tmp.*
  TMP_DIR=$(mktemp -d "$INSTALL_DIR/.deployer/run.XXXXXX") || fail "cannot create a temporary directory in $INSTALL_DIR/.deployer"
  if [[ $USE_SUDO == true ]]; then
    sudo -n true </dev/null >/dev/null 2>&1 || fail 'USE_SUDO=true but sudo asks for a password (sudo -n true failed)'
  fi
  local free_kb
  free_kb=$(df -Pk -- "$INSTALL_DIR" | awk 'NR == 2 { print $4 }')
  [[ $free_kb =~ ^[0-9]+$ ]] || fail "cannot read the free space of $INSTALL_DIR"
  if ((free_kb / 1024 < MIN_FREE_MB)); then
    fail "$((free_kb / 1024)) MB free on $INSTALL_DIR, $MIN_FREE_MB MB needed"
  fi
  say "  $((free_kb / 1024)) MB free on $INSTALL_DIR"
  CONTROL_ENV=("PATH=${PATH:-/usr/local/bin:/usr/bin:/bin}" "HOME=${HOME:-/}" "USER=${USER:-$(id -un)}" "LANG=C"
    "SERVICE_NAME=$SERVICE_NAME" "INSTALL_DIR=$INSTALL_DIR")
  JOURNAL="$INSTALL_DIR/.deployer/journal"
  if journal_read && [[ $J_STATE == changing ]]; then recover_interrupted; fi
  # Again under the lock: a run that held it may have switched meanwhile.
  OLD_RELEASE=$(release_of current)
  OLD_PREVIOUS=$(release_of previous)
  PREVIOUS=$OLD_RELEASE
  CURRENT=$OLD_RELEASE
  say "  current release: ${OLD_RELEASE:-none}"
}

download() {
  phase download
  local file="$TMP_DIR/artifact.tar.gz" actual
  curl -fsS -L --proto '=https,file' --proto-redir '=https' --connect-timeout 30 \
    --max-time "$DOWNLOAD_TIMEOUT_SECONDS" -o "$file" -- "$ARTIFACT_URL" </dev/null ||
    fail 'download of the artifact failed'
  actual=$(sha256sum -- "$file" | awk '{ print $1 }')
  if [[ ${actual,,} != "${ARTIFACT_SHA256,,}" ]]; then
    fail "sha256 mismatch: the artifact is $actual, expected ${ARTIFACT_SHA256,,}; nothing was changed"
  fi
  say "  sha256 verified: $actual"
  ARTIFACT_FILE=$file
}

unpack() {
  phase unpack
  local entry listing staging target="$INSTALL_DIR/releases/$VERSION" link resolved
  listing=$(tar -tzf "$ARTIFACT_FILE" 2>/dev/null) || fail 'the artifact is not a readable tar.gz'
  while IFS= read -r entry; do
    case "/$entry/" in
      //*) fail "the artifact has an absolute path: $entry" ;;
      */../*) fail "the artifact has a path with ..: $entry" ;;
    esac
  done <<<"$listing"
  staging=$(mktemp -d "$INSTALL_DIR/releases/.unpack.XXXXXX") || fail 'cannot create a staging directory'
  tar -xzf "$ARTIFACT_FILE" -C "$staging" --no-same-owner --no-overwrite-dir </dev/null ||
    { rm -rf -- "$staging"; fail 'unpacking the artifact failed'; }
  # Links may point within the release only.
  while IFS= read -r -d '' link; do
    resolved=$(realpath -m -- "$link")
    case "$resolved/" in
      "$(realpath -m -- "$staging")"/*) ;;
      *) rm -rf -- "$staging"; fail "the artifact has a link leading outside the release: ${link#"$staging"/}" ;;
    esac
  done < <(find "$staging" -type l -print0)
  printf '%s\n' "${ARTIFACT_SHA256,,}" >"$staging/.deployer-sha256"
  chmod 755 -- "$staging"
  touch -- "$staging"
  if [[ -e $target || -L $target ]]; then
    # An earlier, unfinished or replaced unpack of this version: never the current one.
    as_owner rm -rf -- "$target" || { rm -rf -- "$staging"; fail "cannot replace $target"; }
  fi
  mv -T -- "$staging" "$target" || { rm -rf -- "$staging"; fail "cannot move the release into $target"; }
  RELEASE_DIR=$target
  say "  unpacked into $target"
}

# Replace each {{KEY}} of the template by VARS[KEY], in one pass: a value is
# text, never a template or a command.
render() { # template-file
  local rest out='' key
  IFS= read -r -d '' rest <"$1" || true
  while [[ $rest == *'{{'* ]]; do
    out+=${rest%%'{{'*}
    rest=${rest#*'{{'}
    if [[ $rest =~ ^([A-Z_][A-Z0-9_]*)\}\} ]]; then
      key=${BASH_REMATCH[1]}
      if [[ -z ${VARS[$key]+set} ]]; then
        RENDER_ERROR="the template uses {{$key}}, which CONFIG_VARS does not define"
        return 1
      fi
      out+=${VARS[$key]}
      rest=${rest:${#key}+2}
    else
      out+='{{'
    fi
  done
  out+=$rest
  printf '%s' "$out"
}

configure() {
  phase configure
  if [[ -z $CONFIG_TEMPLATE ]]; then
    say '  no config template'
    return 0
  fi
  local template="$RELEASE_DIR/$CONFIG_TEMPLATE" target="$RELEASE_DIR/$CONFIG_TARGET" real_release tmp
  real_release=$(realpath -- "$RELEASE_DIR")
  [[ -f $template && ! -L $template ]] || fail "the release has no file $CONFIG_TEMPLATE (CONFIG_TEMPLATE)"
  case "$(realpath -m -- "$target")" in
    "$real_release"/*) ;;
    *) fail "CONFIG_TARGET $CONFIG_TARGET leads outside the release" ;;
  esac
  mkdir -p -- "$(dirname -- "$target")" || fail "cannot create the directory of $CONFIG_TARGET"
  [[ ! -L $target ]] || fail "CONFIG_TARGET $CONFIG_TARGET is a link in the artifact; refusing to write through it"
  tmp=$(mktemp "$(dirname -- "$target")/.render.XXXXXX") || fail 'cannot create the rendered file'
  RENDER_ERROR=''
  render "$template" >"$tmp" || { rm -f -- "$tmp"; fail "rendering $CONFIG_TEMPLATE failed: ${RENDER_ERROR:-cannot write the file}"; }
  if ! chmod 640 -- "$tmp" || ! mv -f -T -- "$tmp" "$target"; then
    rm -f -- "$tmp"
    fail "cannot write $CONFIG_TARGET"
  fi
  say "  rendered $CONFIG_TARGET from $CONFIG_TEMPLATE (${#VARS[@]} variables)"
}

permissions() {
  phase permissions
  chmod -R u+rwX,go-w -- "$RELEASE_DIR" || fail 'setting permissions failed'
  if [[ -n ${OWNER:-} ]]; then
    as_owner chown -R -h -- "$OWNER" "$RELEASE_DIR" || fail "chown to $OWNER failed"
    say "  owned by $OWNER"
  fi
}

stop_service() {
  phase stop
  if [[ -z $OLD_RELEASE ]]; then
    say '  no current release: nothing to stop'
    STOPPED=1
    return 0
  fi
  STOPPED=1
  run_control stop "$STOP_COMMAND" || fail 'the stop command failed'
  say "  stopped $OLD_RELEASE"
}

switch_to() { # version
  phase switch
  if [[ -n $OLD_RELEASE && $OLD_RELEASE != "$1" ]]; then
    point previous "$OLD_RELEASE" || fail 'cannot update the previous link'
  fi
  point current "$1" || fail "cannot switch current to $1"
  CURRENT=$1
  say "  current -> releases/$1"
}

start_service() {
  phase start
  run_control start "$START_COMMAND" || fail 'the start command failed'
  say "  started $CURRENT"
}

health() {
  phase health
  if [[ -z $STATUS_COMMAND && -z ${HEALTH_URL:-} ]]; then
    say '  no health check configured'
    return 0
  fi
  healthy || fail "the health check failed $HEALTH_RETRIES times"
}

smoke() {
  phase smoke
  local line number=0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -n ${line//[[:space:]]/} ]] || continue
    number=$((number + 1))
    run_control "smoke-$number" "$line" || fail "smoke test $number failed"
  done <<<"$SMOKE_COMMANDS"
  say "  $number smoke test(s) passed"
}

cleanup_releases() {
  phase cleanup
  local keep_current keep_previous name kept=0 removed=0
  keep_current=$(release_of current)
  keep_previous=$(release_of previous)
  while IFS= read -r name; do
    [[ $name =~ $VERSION_RE ]] || continue
    if [[ $name == "$keep_current" || $name == "$keep_previous" ]] || ((kept < KEEP_RELEASES)); then
      kept=$((kept + 1))
      continue
    fi
    if as_owner rm -rf -- "$INSTALL_DIR/releases/$name"; then
      removed=$((removed + 1))
    else
      warn "could not remove releases/$name"
    fi
  done < <(find "$INSTALL_DIR/releases" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %f\n' | sort -rn | awk '{ print $2 }')
  say "  kept $kept release(s), removed $removed"
}

# ------------------------------------------------------------------- modes

deploy() {
  if [[ $OLD_RELEASE == "$VERSION" ]]; then
    local installed=''
    [[ -f $INSTALL_DIR/releases/$VERSION/.deployer-sha256 ]] && installed=$(<"$INSTALL_DIR/releases/$VERSION/.deployer-sha256")
    if [[ $installed != "${ARTIFACT_SHA256,,}" ]]; then
      fail "$VERSION is already current with another artifact (sha256 ${installed:-unknown}); deploy it under a new version"
    fi
    health
    result SUCCEEDED "$VERSION is already current with this artifact; nothing changed"
    return 0
  fi
  download
  unpack
  configure
  permissions
  journal_write changing || fail 'cannot write the journal in INSTALL_DIR/.deployer'
  stop_service
  switch_to "$VERSION"
  start_service
  health
  smoke
  cleanup_releases
  journal_write finished || warn 'cannot mark the journal done'
  result SUCCEEDED "$VERSION deployed${OLD_RELEASE:+ over $OLD_RELEASE}"
}

# Back to the installed release $1, `previous` pointing to $2 (none when empty), started and checked.
return_to() { # release previous
  stop_service
  switch_to "$1"
  if [[ -n $2 ]]; then point previous "$2"; else unpoint previous; fi
  start_service
  health
}

# Undo what the deployment ROLLBACK_OF changed, if it is still the host's last change.
rollback_of() {
  if ! journal_read || [[ $J_DEPLOYMENT != "$ROLLBACK_OF" || $J_STATE != finished || $OLD_RELEASE != "$J_TO" ]]; then
    if [[ -n $OLD_RELEASE ]]; then health; fi
    result SUCCEEDED "${OLD_RELEASE:-no release} serves: $ROLLBACK_OF did not change this host, or its change is undone; nothing changed"
    return 0
  fi
  if [[ -z $J_FROM ]]; then
    stop_service
    unpoint current
    unpoint previous
    CURRENT=''
    rm -f -- "$JOURNAL"
    result SUCCEEDED "$J_TO undone: the host had no release before $ROLLBACK_OF; the service is stopped"
    return 0
  fi
  [[ -d $INSTALL_DIR/releases/$J_FROM ]] || fail "release $J_FROM is not installed in $INSTALL_DIR/releases; nothing was changed"
  return_to "$J_FROM" "$J_PREVIOUS"
  rm -f -- "$JOURNAL"
  result SUCCEEDED "rolled back to $J_FROM from $J_TO (undoing $ROLLBACK_OF)"
}

rollback() {
  if [[ -z ${ROLLBACK_TO:-} && -n ${ROLLBACK_OF:-} ]]; then
    rollback_of
    return 0
  fi
  local target=${ROLLBACK_TO:-$OLD_PREVIOUS}
  [[ -n $target ]] || fail 'no previous release is recorded (INSTALL_DIR/previous) and ROLLBACK_TO is not set; nothing was changed'
  [[ -d $INSTALL_DIR/releases/$target ]] || fail "release $target is not installed in $INSTALL_DIR/releases; nothing was changed"
  if [[ $OLD_RELEASE == "$target" ]]; then
    health
    result SUCCEEDED "$target is already current; nothing changed"
    return 0
  fi
  # Rolling back twice must not return to the release just undone: no previous.
  return_to "$target" ''
  result SUCCEEDED "rolled back to $target${OLD_RELEASE:+ from $OLD_RELEASE}"
}

main() {
  trap on_exit EXIT
  # A dropped SSH session must not kill the script halfway: it finishes, unheard.
  trap '' PIPE
  validate
  trap 'on_signal TERM' TERM
  trap 'on_signal INT' INT
  trap 'on_signal HUP' HUP
  preflight
  if [[ $DEPLOYER_MODE == deploy ]]; then deploy; else rollback; fi
  cleanup_tmp
  exit 0
}

# shellcheck disable=SC2317 # main exits itself; `exit` keeps bash from reading further
{ main </dev/null; exit; }
