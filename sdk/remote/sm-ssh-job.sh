#!/bin/sh
# sm-ssh-job.sh: the entry point of a SageMaker training or processing job launched with SSH (`withSsh`,
# `sm-ssh job wrap|start`). On the job's first SM_SSH_NODES nodes it starts sm-ssh-init.sh beside it and waits up to
# SM_SSH_WAIT_SECONDS for a connection (until `sm-ssh job release <target>`, `pkill sm-wait` or the time is up); then
# it runs the job's own command, stops SSH once the command has ended and exits with the command's exit code.
# POSIX sh; see README.md beside it for the environment it reads.
#
# usage: sm-ssh-job.sh <command> [<argument>...]   run the job as above (its ContainerArguments are the command)
#        sm-ssh-job.sh release                     end the wait of this container; prints released,
#                                                  already-released or not-waiting (sm-ssh job release runs it)

set -u

PROG=sm-ssh-job
STATE=${SM_SSH_JOB_STATE:-/tmp/sm-ssh-job}
ML=${SM_SSH_ML_ROOT:-/opt/ml}
BUNDLE=${SM_SSH_BUNDLE_DIR:-$(dirname "$0")}
INIT=${SM_SSH_INIT:-$BUNDLE/sm-ssh-init.sh}
# the most SageMaker lets a job run: a longer wait is a mistake, not a wish
MAX_WAIT=432000

PHASE=setup
INIT_PID=
WAIT_PID=
CHILD=
SIGNALLED=
CLEANED=

info() {
  printf '%s: %s\n' "$PROG" "$*"
}

# die <exit code> <what went wrong> <hint>: one line on stderr
die() {
  printf '%s: error: %s; hint: %s\n' "$PROG" "$2" "$3" >&2
  exit "$1"
}

# complain <what went wrong> <hint>: the same line, but the job goes on
complain() {
  printf '%s: error: %s; hint: %s\n' "$PROG" "$1" "$2" >&2
}

nap() {
  sleep 0.2 2>/dev/null || sleep 1
}

# running <pid>: alive and not a zombie (a child that exited stays a zombie until waited for)
running() {
  kill -0 "$1" 2>/dev/null || return 1
  case $(cat "/proc/$1/stat" 2>/dev/null) in
  *") Z "*) return 1 ;;
  esac
  return 0
}

# count <name> <value>: a whole number of seconds or nodes, without leading zeros (sh reads 010 as octal)
count() {
  case $2 in
  '' | *[!0-9]*) return 1 ;;
  esac
  number=$(printf '%s\n' "$2" | sed 's/^0*//')
  [ ${#number} -le 9 ] || return 1
  echo "${number:-0}"
}

# json_field <file> <key>: a string field of a JSON file whose key and value share a line
json_field() {
  sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$1" 2>/dev/null | head -n 1
}

# the words, quoted for a POSIX shell where they need it (as the SDK's shellJoin does), on one line: a newline in a
# word shows as \n (the line is for the log; the command itself gets its words as they are)
quote_words() {
  quoted=
  for word in "$@"; do
    case $word in
    '' | =* | *[!A-Za-z0-9_@%+=:,./-]*)
      word="'$(printf '%s\n' "$word" | sed "s/'/'\\\\''/g" | awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print }')'"
      ;;
    esac
    quoted="$quoted${quoted:+ }$word"
  done
  printf '%s' "$quoted"
}

# ---- where this runs ----

# KIND, JOB, TARGET and the resource config from what SageMaker puts in the container
detect_job() {
  if [ -n "${TRAINING_JOB_NAME:-}" ]; then
    KIND=training
    JOB=$TRAINING_JOB_NAME
  elif [ -f "$ML/config/processingjobconfig.json" ]; then
    KIND=processing
    JOB=$(json_field "$ML/config/processingjobconfig.json" ProcessingJobName)
  else
    KIND=training
    JOB=
  fi
  if [ "$KIND" = processing ]; then
    RESOURCES=$ML/config/resourceconfig.json
  else
    RESOURCES=$ML/input/config/resourceconfig.json
  fi
  TARGET=${JOB:-<job>}.$KIND.sagemaker
}

# NODE (1-based) and NODE_COUNT from resourceconfig.json: current_host algo-<i> among hosts; 1 of 1 without it
detect_node() {
  NODE=1
  NODE_COUNT=1
  [ -f "$RESOURCES" ] || return 0
  flat=$(tr -d '\n\r' <"$RESOURCES")
  host=$(printf '%s\n' "$flat" | sed -n 's/.*"current_host"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
  # the first "hosts" is the job's; instance groups (heterogeneous clusters) list theirs after it
  hosts=$(printf '%s\n' "$flat" | awk '{
    at = index($0, "\"hosts\""); if (!at) exit
    rest = substr($0, at + 7); lb = index(rest, "["); rb = index(rest, "]"); if (!lb || rb < lb) exit
    list = substr(rest, lb + 1, rb - lb - 1); gsub(/[^A-Za-z0-9_.,-]/, "", list); gsub(/,/, " ", list); print list
  }')
  position=
  total=0
  for name in $hosts; do
    total=$((total + 1))
    if [ "$name" = "$host" ]; then position=$total; fi
  done
  if [ "$total" -gt 0 ]; then NODE_COUNT=$total; fi
  case $host in
  algo-[1-9] | algo-[1-9]*[0-9])
    case ${host#algo-} in
    *[!0-9]*) ;;
    *)
      NODE=${host#algo-}
      return 0
      ;;
    esac
    ;;
  esac
  if [ -n "$position" ]; then NODE=$position; fi
  return 0
}

# ---- signals and the end ----

stop_wait() {
  [ -n "$WAIT_PID" ] || return 0
  kill -TERM "$WAIT_PID" 2>/dev/null
  wait "$WAIT_PID" 2>/dev/null
  WAIT_PID=
}

# stops sm-ssh-init.sh: SIGTERM, then it deregisters the instance and stops sshd; SIGKILL after 60 s
stop_init() {
  [ -n "$INIT_PID" ] || return 0
  pid=$INIT_PID
  INIT_PID=
  kill -TERM "$pid" 2>/dev/null
  tries=300
  while running "$pid" && [ "$tries" -gt 0 ]; do
    nap
    tries=$((tries - 1))
  done
  if running "$pid"; then
    complain "sm-ssh-init.sh (pid $pid) did not stop within 60 s of SIGTERM, so it is killed" "its instance may stay registered: sm-ssh-init.sh deregister"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  [ -z "$CLEANED" ] || return 0
  CLEANED=yes
  stop_wait
  if [ -n "$CHILD" ]; then kill -TERM "$CHILD" 2>/dev/null; fi
  stop_init
  rm -f "$STATE/waiting" "$STATE/running"
}

# ignores_int <pid>: its SIGINT is ignored (SigIgn bit 2), as a background command of a non-interactive sh has it
ignores_int() {
  mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
  case $mask in
  *[2367abefABEF]) return 0 ;;
  esac
  return 1
}

# on_signal <TERM|INT> <exit code>
on_signal() {
  case $PHASE in
  command)
    # the command decides how to end; its exit code is ours
    SIGNALLED=yes
    signal=$1
    # sh started it with SIGINT ignored (no job control), so INT would not reach it: TERM stands in
    if [ "$signal" = INT ] && ignores_int "$CHILD"; then signal=TERM; fi
    kill -"$signal" "$CHILD" 2>/dev/null
    ;;
  ending) ;;
  *)
    info "got SIG$1 before the command started: stopping"
    exit "$2"
    ;;
  esac
}

# ---- the wait ----

# the wait, as a process of its own named sm-wait, so that `pkill sm-wait` (the original project's habit) ends it
write_sm_wait() {
  cat >"$STATE/sm-wait.tmp" <<'EOF' && chmod 755 "$STATE/sm-wait.tmp" && mv "$STATE/sm-wait.tmp" "$STATE/sm-wait"
#!/bin/sh
# sm-wait: the wait of sm-ssh-job.sh for a connection; `pkill sm-wait` ends it.
# usage: sm-wait <release file> <end in epoch seconds> [<pid of sm-ssh-init.sh>]
# exit 0: released; 1: the time is up; 2: sm-ssh-init.sh has ended, so no one can connect
while :; do
  if [ -e "$1" ]; then exit 0; fi
  if [ "$(date +%s)" -gt "$2" ]; then exit 1; fi
  if [ -n "${3:-}" ]; then
    case $(cat "/proc/$3/stat" 2>/dev/null) in
    '' | *") Z "*) exit 2 ;;
    esac
  fi
  sleep 0.5 2>/dev/null || sleep 1
done
EOF
}

wait_for_connection() {
  started=$(date +%s)
  ends=$((started + WAIT))
  if ! write_sm_wait; then
    complain "cannot write $STATE/sm-wait, so there is no wait" "make $STATE writable (SM_SSH_JOB_STATE)"
    return 0
  fi
  info "waiting up to $WAIT s for a connection (end it with: sm-ssh job release $TARGET, or pkill sm-wait)"
  PHASE=wait
  "$STATE/sm-wait" "$STATE/release" "$ends" "$INIT_PID" &
  WAIT_PID=$!
  wait "$WAIT_PID"
  how=$?
  if [ "$how" = 126 ] || [ "$how" = 127 ]; then
    # /tmp mounted noexec: the same wait through sh, which `pkill sm-wait` cannot name
    info "cannot run $STATE/sm-wait (exit code $how; noexec?): waiting without it, so pkill sm-wait does not end this wait"
    sh "$STATE/sm-wait" "$STATE/release" "$ends" "$INIT_PID" &
    WAIT_PID=$!
    wait "$WAIT_PID"
    how=$?
  fi
  WAIT_PID=
  rm -f "$STATE/waiting"
  elapsed=$(($(date +%s) - started))
  case $how in
  0)
    echo "release after $elapsed s" >"$STATE/released"
    info "released after $elapsed s"
    ;;
  1) info "no release within $WAIT s; going on" ;;
  2)
    wait "$INIT_PID"
    code=$?
    INIT_PID=
    info "sm-ssh-init.sh ended with exit code $code, so no one can connect: not waiting any longer"
    ;;
  *)
    echo "sm-wait ended by a signal after $elapsed s" >"$STATE/released"
    info "sm-wait was ended by a signal (pkill sm-wait)"
    info "released after $elapsed s"
    ;;
  esac
}

# ---- commands ----

run_job() {
  [ $# -gt 0 ] || die 2 "no command to run" "pass the job's own command: sm-ssh-job.sh <command> [<argument>...]"
  WAIT=$(count SM_SSH_WAIT_SECONDS "${SM_SSH_WAIT_SECONDS:-600}") && [ "$WAIT" -le "$MAX_WAIT" ] ||
    die 2 "SM_SSH_WAIT_SECONDS \"${SM_SSH_WAIT_SECONDS:-}\" is not a number of seconds from 0 to $MAX_WAIT" "set it to the seconds to wait for a connection, 0 for no wait"
  NODES=$(count SM_SSH_NODES "${SM_SSH_NODES:-2}") && [ "$NODES" -ge 1 ] ||
    die 2 "SM_SSH_NODES \"${SM_SSH_NODES:-}\" is not a number of nodes of at least 1" "set it to how many nodes, from the first, start SSH"
  detect_job
  detect_node
  # a background command of sh reads /dev/null; the job's command keeps the container's stdin
  { command exec 3<&0; } 2>/dev/null || exec 3</dev/null

  trap cleanup EXIT
  trap 'on_signal TERM 143' TERM
  trap 'on_signal INT 130' INT
  if mkdir -p "$STATE" && rm -f "$STATE/release" "$STATE/released" "$STATE/waiting" "$STATE/running"; then
    # `sm-ssh job release` runs this copy through Run Command, which has neither the job's environment nor its bundle
    if [ "$0" != "$STATE/sm-ssh-job.sh" ]; then
      cp "$0" "$STATE/sm-ssh-job.sh.tmp" && mv "$STATE/sm-ssh-job.sh.tmp" "$STATE/sm-ssh-job.sh" ||
        complain "cannot copy $0 to $STATE/sm-ssh-job.sh" "sm-ssh job release cannot end the wait; pkill sm-wait can"
    fi
  else
    complain "cannot write $STATE" "sm-ssh job release cannot end the wait; pkill sm-wait can (SM_SSH_JOB_STATE sets the directory)"
  fi

  if [ "$NODE" -gt "$NODES" ]; then
    info "node $NODE of $NODE_COUNT has no SSH (SM_SSH_NODES=$NODES): not registering, not waiting"
  elif [ ! -f "$INIT" ]; then
    complain "no $INIT, so this node has no SSH" "the bundle (SM_SSH_BUNDLE_DIR) must hold sm-ssh-init.sh beside sm-ssh-job.sh; set SM_SSH_INIT to its path"
  else
    if [ "$WAIT" -gt 0 ]; then echo "$(($(date +%s) + WAIT))" >"$STATE/waiting" 2>/dev/null; fi
    info "node $NODE of $NODE_COUNT starts SSH ($INIT)"
    # its output goes to the job's log as it is: the registration line is how a target is found by its log
    sh "$INIT" &
    INIT_PID=$!
    if [ "$WAIT" -gt 0 ]; then
      wait_for_connection
    else
      info "no wait for a connection (SM_SSH_WAIT_SECONDS=0)"
    fi
  fi

  line=$(quote_words "$@")
  info "running $line"
  PHASE=command
  "$@" <&3 3<&- &
  CHILD=$!
  exec 3<&-
  echo "$CHILD" >"$STATE/running" 2>/dev/null
  while :; do
    SIGNALLED=
    wait "$CHILD"
    code=$?
    # a trapped signal interrupts wait (128 + its number) while the command still runs: wait again for its own code
    [ -n "$SIGNALLED" ] || break
  done
  CHILD=
  PHASE=ending
  info "$line exited with $code"
  rm -f "$STATE/running"
  stop_init
  exit "$code"
}

release() {
  if [ -e "$STATE/release" ] || [ -e "$STATE/released" ]; then
    echo already-released
  elif [ -e "$STATE/waiting" ]; then
    mkdir -p "$STATE" && : >"$STATE/release" ||
      die 1 "cannot create $STATE/release" "run it as the job's user (root); sm-ssh job release does"
    echo released
  else
    echo not-waiting
  fi
}

if [ $# = 1 ] && [ "$1" = release ]; then
  release
else
  run_job "$@"
fi
