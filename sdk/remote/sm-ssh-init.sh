#!/bin/sh
# sm-ssh-init.sh: makes this container (a SageMaker training or processing job, an endpoint, a notebook instance, a
# Studio app) an SSH target for `sm-ssh connect`. It sets up sshd on 127.0.0.1 with key-only login, creates an SSM
# activation with the tags of the original SageMaker SSH Helper, registers and runs the SSM agent, and deregisters
# the managed instance when it stops. POSIX sh; see README.md beside it for the environment it reads.
#
# usage: sm-ssh-init.sh [start]            set up and run in the foreground until SIGTERM/SIGINT, then clean up
#        sm-ssh-init.sh stop               stop a running start (it deregisters the instance)
#        sm-ssh-init.sh deregister [mi-…]  deregister the recorded (or given) instance now
#        sm-ssh-init.sh help

set -u

PROG=sm-ssh-init
ETC=${SM_SSH_ETC_DIR:-/etc/ssh}
PORT=${SM_SSH_SSHD_PORT:-22}
STATE=${SM_SSH_STATE_DIR:-/run/sm-ssh}
AGENT=${SM_SSH_AGENT:-amazon-ssm-agent}
KEY_TYPES=${SM_SSH_HOST_KEY_TYPES:-ed25519 ecdsa rsa}
USE_PAM=${SM_SSH_USE_PAM:-no}
INSTALL=${SM_SSH_INSTALL:-yes}
SESSION_ENV=${SM_SSH_SESSION_ENV:-yes}
PROFILE_D=${SM_SSH_PROFILE_D:-/etc/profile.d}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
CONFIG=$ETC/sm-ssh_sshd_config
DESCRIPTION='Activation for Amazon SageMaker integration with SSH and IDEs'

SSHD=${SM_SSH_SSHD:-}
CLI=
SSHD_PID=
HELPER_PID=
INSTANCE_ID=
# yes when this script (AWS CLI path) registered the instance and so deregisters it; sm-ssh remote init does its own
SCRIPT_REGISTERED=
# the profile.d file this script wrote, removed at exit
SESSION_PATH_FILE=
CLEANED=

info() {
  printf '%s: %s\n' "$PROG" "$*"
}

# die <exit code> <what went wrong> <hint>: one line on stderr
die() {
  printf '%s: error: %s; hint: %s\n' "$PROG" "$2" "$3" >&2
  exit "$1"
}

usage() {
  sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
}

have() {
  command -v "$1" >/dev/null 2>&1
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

# descendants <pid>: every process below <pid>: its children, their children, and so on
descendants() {
  table=$(
    for entry in /proc/[0-9]*; do
      stat=$(cat "$entry/stat" 2>/dev/null) || continue
      # after the command name: state, then the parent's pid
      # shellcheck disable=SC2086
      set -- ${stat##*) }
      printf '%s %s\n' "${entry#/proc/}" "$2"
    done
  )
  found=
  frontier=$1
  while [ -n "$frontier" ]; do
    next=
    for parent in $frontier; do
      next="$next $(printf '%s\n' "$table" | awk -v parent="$parent" '$2 == parent { print $1 }')"
    done
    found="$found $next"
    # shellcheck disable=SC2086
    frontier=$(echo $next)
  done
  # shellcheck disable=SC2086
  echo $found
}

# stop_pid <pid> <seconds>: SIGTERM, then SIGKILL after <seconds>
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  tries=$(($2 * 5))
  while running "$1" && [ "$tries" -gt 0 ]; do
    nap
    tries=$((tries - 1))
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

partition() {
  case $REGION in
  cn-*) echo aws-cn ;;
  us-gov-*) echo aws-us-gov ;;
  *) echo aws ;;
  esac
}

# ---- packages ----

install_packages() { # <what> <apt packages> <yum packages> <apk packages>
  [ "$INSTALL" = yes ] || die 1 "$1 is not installed" "install it in the image (SM_SSH_INSTALL=no forbids installing)"
  [ "$(id -u)" = 0 ] || die 1 "$1 is not installed and installing it needs root" "run as root, or install it in the image"
  info "installing $1"
  if have apt-get; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2 >/dev/null 2>&1
  elif have yum; then
    # shellcheck disable=SC2086
    yum install -y -q $3 >/dev/null 2>&1
  elif have apk; then
    # shellcheck disable=SC2086
    apk add --no-cache -q $4 >/dev/null 2>&1
  else
    die 1 "$1 is not installed and there is no apt-get, yum or apk" "install it in the image"
  fi || die 1 "installing $1 failed" "check the container's network and package mirrors, or install it in the image"
}

find_sshd() {
  if [ -z "$SSHD" ]; then
    for candidate in /usr/sbin/sshd /usr/local/sbin/sshd "$(command -v sshd 2>/dev/null)"; do
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        SSHD=$candidate
        break
      fi
    done
  fi
  if [ -z "$SSHD" ] || ! have ssh-keygen; then
    install_packages "the OpenSSH server" openssh-server "openssh-server openssh-clients" "openssh-server openssh-keygen"
    SSHD=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
  fi
  [ -x "$SSHD" ] || die 1 "no sshd at $SSHD" "install openssh-server or set SM_SSH_SSHD to its path"
}

find_agent() {
  have "$AGENT" && return 0
  [ "$INSTALL" = yes ] && [ "$(id -u)" = 0 ] ||
    die 1 "the SSM agent $AGENT is not installed" "install amazon-ssm-agent in the image, run this as root to install it, or set SM_SSH_AGENT"
  case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die 1 "no SSM agent package for $(uname -m)" "install amazon-ssm-agent in the image" ;;
  esac
  if have dpkg; then
    package=debian_$arch/amazon-ssm-agent.deb
  elif have rpm; then
    package=linux_$arch/amazon-ssm-agent.rpm
  else
    die 1 "the SSM agent is not installed and there is neither dpkg nor rpm for its package" "install amazon-ssm-agent in the image"
  fi
  url=https://s3.$REGION.amazonaws.com/amazon-ssm-$REGION/latest/$package
  file=$STATE/${package##*/}
  info "installing the SSM agent from $url"
  if have curl; then
    curl -fsSL -o "$file" "$url"
  elif have wget; then
    wget -q -O "$file" "$url"
  else
    false
  fi || die 1 "cannot download $url" "install curl or wget, or amazon-ssm-agent itself, in the image"
  if have dpkg; then
    dpkg -i "$file" >/dev/null 2>&1
  else
    rpm -U --replacepkgs "$file" >/dev/null 2>&1
  fi || die 1 "installing $file failed" "install amazon-ssm-agent in the image"
  rm -f "$file"
  have "$AGENT" || AGENT=/usr/bin/amazon-ssm-agent
  # the package's service would start a second agent where systemd runs; this script runs the agent itself
  if have systemctl; then systemctl stop amazon-ssm-agent >/dev/null 2>&1; fi
  return 0
}

# ---- sshd ----

# session_env <escapes: yes|no> <file for skipped names>: the SetEnv line that gives SSH sessions the environment this
# script started with (the job's: SageMaker's variables, the request's Environment, the image's PATH, the credentials'
# AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), minus what each session sets itself and this script's own settings. Only
# one line: sshd takes the first SetEnv it reads and ignores later ones. Values go from awk's ENVIRON straight to the
# config file, never to output; the names of what it cannot carry go to <file>.
session_env() {
  awk -v escapes="$1" -v skipped="$2" '
    function from_session(name) {
      if (name ~ /^(HOME|PWD|OLDPWD|SHLVL|_|TERM|USER|LOGNAME|SHELL|MAIL)$/) return 1
      # sshd sets SSH_CLIENT, SSH_CONNECTION, SSH_TTY, SSH_AUTH_SOCK, ... per session; the four below are the job'"'"'s
      if (name ~ /^SSH_/ && name !~ /^SSH_(OWNER_TAG|SSM_ROLE|RESOURCE_NAME|RESOURCE_ARN)$/) return 1
      # how this script and its agent run here, not the job: a session that inherited them would aim at this instance
      if (name ~ /^SM_SSH_(SSHD_PORT|ETC_DIR|STATE_DIR|AGENT.*|CLI|SSHD|HOST_KEY_TYPES|USE_PAM|INSTALL|SESSION_ENV|PROFILE_D|SESSION_PATH)$/) return 1
      return 0
    }
    BEGIN {
      line = ""
      for (name in ENVIRON) {
        if (name !~ /^[A-Za-z_][A-Za-z0-9_]*$/) {
          shown = name
          gsub(/[^A-Za-z0-9_.%-]/, "?", shown)
          print shown > skipped
          continue
        }
        if (from_session(name)) continue
        value = ENVIRON[name]
        # sshd_config has no way to write a newline; \" and \\ only where sshd reads escapes (OpenSSH 8.7 on)
        if (value ~ /\n/ || (escapes != "yes" && value ~ /["\\]/)) {
          print name > skipped
          continue
        }
        quoted = ""
        for (i = 1; i <= length(value); i++) {
          c = substr(value, i, 1)
          if (c == "\\" || c == "\"") quoted = quoted "\\"
          quoted = quoted c
        }
        line = line " \"" name "=" quoted "\""
        # a second copy of PATH that /etc/profile leaves alone, for the profile.d file (session_path_file)
        if (name == "PATH") line = line " \"SM_SSH_SESSION_PATH=" quoted "\""
      }
      if (line != "") print "SetEnv" line
    }'
}

# session_path_file: a login shell (ssh without a command) reads /etc/profile, which on Debian and Ubuntu sets PATH
# again and so hides the image's (conda, CUDA, the framework's bin); a file in profile.d, read after that, gives an SSH
# session the job's PATH back from SetEnv's SM_SSH_SESSION_PATH. It holds no value, and does nothing outside SSH.
session_path_file() {
  [ -d "$PROFILE_D" ] || return 0
  file=$PROFILE_D/sm-ssh-session-path.sh
  if {
    echo "# written by sm-ssh-init.sh (removed when it stops): the job's PATH for SSH login shells"
    echo 'if [ -n "${SM_SSH_SESSION_PATH:-}" ]; then PATH=$SM_SSH_SESSION_PATH; export PATH; fi'
  } >"$file.tmp" 2>/dev/null && chmod 644 "$file.tmp" && mv -f "$file.tmp" "$file"; then
    SESSION_PATH_FILE=$file
  else
    rm -f "$file.tmp" 2>/dev/null
    info "warning: cannot write $file, so SSH login shells get /etc/profile's PATH (commands run with ssh <host> <command> keep the job's)"
  fi
}

# setenv_escapes: yes when this sshd reads \" and \\ inside a quoted SetEnv value; asked with a made-up value, so
# that sshd -T never prints one of the job's
setenv_escapes() {
  probe=$CONFIG.probe
  {
    for type in $KEY_TYPES; do
      echo "HostKey $ETC/ssh_host_${type}_key"
    done
    printf '%s\n' 'SetEnv "SM_SSH_PROBE=a\"b\\c"'
  } >"$probe" 2>/dev/null || return 1
  case $("$SSHD" -T -f "$probe" 2>/dev/null) in
  *'setenv SM_SSH_PROBE=a"b\c'*) answer=0 ;;
  *) answer=1 ;;
  esac
  rm -f "$probe"
  return "$answer"
}

# write_config <keyboard-interactive option name> <session environment: yes|no>
write_config() {
  # SetEnv values can be secrets (the job's credentials): the file is root's alone from its first byte
  umask 077
  rm -f "$CONFIG.tmp"
  {
    echo "# written by sm-ssh-init.sh; sshd runs with -f $CONFIG: loopback only (the SSM agent connects locally), keys only"
    echo "Port $PORT"
    echo "ListenAddress 127.0.0.1"
    for type in $KEY_TYPES; do
      echo "HostKey $ETC/ssh_host_${type}_key"
    done
    echo "AuthorizedKeysFile $ETC/authorized_keys"
    echo "PermitRootLogin prohibit-password"
    echo "PubkeyAuthentication yes"
    echo "PasswordAuthentication no"
    echo "$1 no"
    echo "PermitEmptyPasswords no"
    echo "UsePAM $USE_PAM"
    echo "ClientAliveInterval 15"
    echo "PidFile $STATE/sshd.pid"
    echo "PrintMotd no"
    echo "AcceptEnv LANG LC_*"
    echo "Subsystem sftp internal-sftp"
    if [ "$2" = yes ]; then session_env "$ESCAPES" "$STATE/session-env.skipped"; fi
  } >"$CONFIG.tmp" && chmod 600 "$CONFIG.tmp" && mv -f "$CONFIG.tmp" "$CONFIG" ||
    die 1 "cannot write $CONFIG" "run as root, or set SM_SSH_ETC_DIR to a writable directory"
  umask 022
}

prepare_etc() {
  umask 022
  mkdir -p "$ETC/authorized_keys.d" && chmod 755 "$ETC/authorized_keys.d" ||
    die 1 "cannot create $ETC/authorized_keys.d" "run as root, or set SM_SSH_ETC_DIR to a writable directory"
  # key delivery writes authorized_keys.d/<owner-id> and rebuilds authorized_keys from the folder; start from it too
  keys=$ETC/authorized_keys
  : >"$keys.tmp" && chmod 600 "$keys.tmp" || die 1 "cannot write $keys" "run as root"
  for file in "$ETC"/authorized_keys.d/*; do
    if [ -f "$file" ]; then cat "$file" >>"$keys.tmp"; fi
  done
  mv "$keys.tmp" "$keys"
  if [ "$(id -u)" = 0 ]; then chown 0:0 "$keys"; fi
  for type in $KEY_TYPES; do
    key=$ETC/ssh_host_${type}_key
    if [ ! -s "$key" ]; then
      info "generating the $type host key"
      rm -f "$key" "$key.pub"
      ssh-keygen -q -t "$type" -N '' -C "root@$(uname -n)" -f "$key" </dev/null ||
        die 1 "ssh-keygen -t $type failed" "set SM_SSH_HOST_KEY_TYPES to types this ssh-keygen supports, e.g. \"ed25519 rsa\""
    elif [ ! -s "$key.pub" ]; then
      ssh-keygen -y -f "$key" >"$key.pub" || die 1 "cannot read $key" "remove it to have it generated again"
    fi
    chmod 600 "$key" && chmod 644 "$key.pub"
  done
  if [ "$USE_PAM" = no ] && [ -r /etc/shadow ]; then
    case $(sed -n 's/^root:\([^:]*\):.*/\1/p' /etc/shadow) in
    '!'*) info "warning: root's password is locked ('!' in /etc/shadow); sshd without PAM refuses locked accounts even with keys: set SM_SSH_USE_PAM=yes" ;;
    esac
  fi
}

start_sshd() {
  kbd=KbdInteractiveAuthentication
  with_env=$SESSION_ENV
  ESCAPES=no
  if [ "$with_env" = yes ] && setenv_escapes; then ESCAPES=yes; fi
  rm -f "$STATE/session-env.skipped"
  write_config "$kbd" "$with_env"
  if ! checked=$("$SSHD" -t -f "$CONFIG" 2>&1); then
    case $checked in
    *KbdInteractiveAuthentication*)
      # OpenSSH before 8.7 knows the option by its old name
      kbd=ChallengeResponseAuthentication
      write_config "$kbd" "$with_env"
      checked=$("$SSHD" -t -f "$CONFIG" 2>&1) || false
      ;;
    *) false ;;
    esac || {
      # an sshd before OpenSSH 7.8 has no SetEnv; its messages about that line are never shown, as they could quote a value
      [ "$with_env" = yes ] || die 1 "sshd refuses its config: $(printf '%s\n' "$checked" | tail -n 1)" "see $CONFIG"
      with_env=no
      write_config "$kbd" "$with_env"
      checked=$("$SSHD" -t -f "$CONFIG" 2>&1) ||
        die 1 "sshd refuses its config: $(printf '%s\n' "$checked" | tail -n 1)" "see $CONFIG"
      info "warning: this sshd refuses SetEnv (OpenSSH 7.8 has it), so SSH sessions start without the job's environment"
    }
  fi
  if [ "$with_env" = yes ]; then session_path_file; fi
  if [ "$with_env" = yes ] && [ -s "$STATE/session-env.skipped" ]; then
    # names only: a value is never printed
    info "not in SSH sessions, as sshd_config cannot carry their names or values: $(sort -u "$STATE/session-env.skipped" | tr '\n' ' ' | sed 's/ $//')"
  fi
  rm -f "$STATE/session-env.skipped"
  # the privilege-separation directory Debian's sshd needs; a container never booted to create it
  mkdir -p /run/sshd 2>/dev/null && chmod 755 /run/sshd 2>/dev/null
  "$SSHD" -D -e -f "$CONFIG" >"$STATE/sshd.log" 2>&1 &
  SSHD_PID=$!
  tries=50
  until grep -q "Server listening on 127.0.0.1 port $PORT" "$STATE/sshd.log" 2>/dev/null; do
    if ! running "$SSHD_PID"; then
      SSHD_PID=
      die 1 "sshd did not start: $(tail -n 1 "$STATE/sshd.log")" "see $STATE/sshd.log; another sshd on port $PORT? set SM_SSH_SSHD_PORT"
    fi
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die 1 "sshd did not listen on 127.0.0.1:$PORT within 10 s" "see $STATE/sshd.log"
    nap
  done
  info "sshd listening on 127.0.0.1:$PORT (keys in $ETC/authorized_keys, rebuilt from $ETC/authorized_keys.d/)"
}

stop_sshd() {
  # sshd's sessions, and what runs in them, outlive its listener: stop them too, and wait for them
  below=$(descendants "$SSHD_PID")
  stop_pid "$SSHD_PID" 5
  for pid in $below; do kill -TERM "$pid" 2>/dev/null; done
  tries=25
  for pid in $below; do
    while running "$pid" && [ "$tries" -gt 0 ]; do
      nap
      tries=$((tries - 1))
    done
    kill -KILL "$pid" 2>/dev/null
  done
  SSHD_PID=
}

# ---- SSM: through sm-ssh remote init (Node) or the AWS CLI ----

find_cli() {
  CLI=${SM_SSH_CLI:-$(command -v sm-ssh 2>/dev/null)}
  [ -n "$CLI" ] && [ -x "$CLI" ] && have node
}

json_escape() {
  printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'
}

# json_field <file> <key>: a string field of a flat JSON file
json_field() {
  sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$1" 2>/dev/null | head -n 1
}

# what SageMaker puts in the container about its resource (sm-ssh remote init reads the same)
detect_resource() {
  RES_NAME=${SSH_RESOURCE_NAME:-}
  RES_ARN=${SSH_RESOURCE_ARN:-}
  [ -n "$RES_NAME$RES_ARN" ] && return 0
  file=/opt/ml/metadata/resource-metadata.json
  if [ -f "$file" ]; then
    RES_NAME=$(json_field "$file" ResourceName)
    RES_ARN=$(json_field "$file" ResourceArn)
    [ -n "$RES_NAME$RES_ARN" ] && return 0
  fi
  if [ -n "${TRAINING_JOB_NAME:-}${TRAINING_JOB_ARN:-}" ]; then
    RES_NAME=${TRAINING_JOB_NAME:-}
    RES_ARN=${TRAINING_JOB_ARN:-}
    return 0
  fi
  file=/opt/ml/config/processingjobconfig.json
  if [ -f "$file" ]; then
    RES_NAME=$(json_field "$file" ProcessingJobName)
    RES_ARN=$(json_field "$file" ProcessingJobArn)
  fi
  return 0
}

tag() { # tag <key> <value>: one element of create-activation's --tags
  printf '{"Key":"%s","Value":"%s"}' "$1" "$(json_escape "$2")"
}

register_with_aws_cli() {
  info "registering with SSM through the AWS CLI"
  identity=$(aws sts get-caller-identity --region "$REGION" --query '[UserId,Arn,Account]' --output text 2>"$STATE/aws.err") ||
    die 1 "aws sts get-caller-identity failed: $(tail -n 1 "$STATE/aws.err")" "check the container's credentials (its execution role)"
  # shellcheck disable=SC2086
  set -- $identity
  creator=${1:-}
  caller_arn=${2:-}
  account=${3:-}
  role=${SSH_SSM_ROLE:-}
  if [ -z "$role" ]; then
    role=$(printf '%s\n' "$caller_arn" | sed -n 's#^arn:[^:]*:sts::[0-9]*:assumed-role/\([^/]*\)/.*#\1#p')
  fi
  case $role in
  arn:*) role=$(printf '%s\n' "$role" | sed -n 's#^arn:[^:]*:iam::[0-9]*:role/##p') ;;
  esac
  [ -n "$role" ] || die 2 "the container's credentials ($caller_arn) are not a role's, so the activation's role is unknown" "set SSH_SSM_ROLE to the role name with its path, e.g. service-role/AmazonSageMaker-ExecutionRole-…"
  detect_resource
  # the original project's tags; the resource ones only when known (endpoints are found through their logs)
  tags="[$(tag SSHOwner "$SSH_OWNER_TAG"),$(tag SSHCreator "$creator"),$(tag SSHTimestamp "$(date +%s)")"
  if [ -n "$RES_NAME" ]; then tags="$tags,$(tag SSHResourceName "$RES_NAME")"; fi
  if [ -n "$RES_ARN" ]; then tags="$tags,$(tag SSHResourceArn "$RES_ARN")"; fi
  tags="$tags]"
  activation=$(aws ssm create-activation --region "$REGION" --description "$DESCRIPTION" --iam-role "$role" \
    --registration-limit 1 --tags "$tags" --query '[ActivationId,ActivationCode]' --output text 2>"$STATE/aws.err") ||
    die 1 "aws ssm create-activation failed: $(tail -n 1 "$STATE/aws.err")" "the role needs ssm:CreateActivation and iam:PassRole on $role (sm-ssh setup check)"
  # shellcheck disable=SC2086
  set -- $activation
  activation=
  "$AGENT" -register -id "$1" -code "$2" -region "$REGION" -y >"$STATE/register.log" 2>&1
  status=$?
  set --
  cat "$STATE/register.log"
  INSTANCE_ID=$(sed -n 's/.*Managed instance-id: \(mi-[0-9a-f]*\).*/\1/p' "$STATE/register.log" | tail -n 1)
  [ "$status" = 0 ] && [ -n "$INSTANCE_ID" ] ||
    die 1 "$AGENT -register failed: $(tail -n 1 "$STATE/register.log")" "the role must trust ssm.amazonaws.com and the SSM advanced tier must be on (sm-ssh setup check)"
  SCRIPT_REGISTERED=yes
  ACCOUNT=$account
  echo "$INSTANCE_ID" >"$STATE/instance-id"
  "$AGENT" &
  HELPER_PID=$!
}

# deregister_with_aws_cli <mi-id>: one line whatever happens
deregister_with_aws_cli() {
  if answer=$(aws ssm deregister-managed-instance --region "$REGION" --instance-id "$1" 2>&1); then
    info "deregistered $1"
    rm -f "$STATE/instance-id"
    return 0
  fi
  case $answer in
  *AccessDenied* | *UnauthorizedOperation* | *"not authorized"*)
    info "$1 stays registered (it will show ConnectionLost): the container's role may not call ssm:DeregisterManagedInstance, which the setup guide's SSHSageMakerServerPolicy does not grant; allowing it on arn:$(partition):ssm:$REGION:${ACCOUNT:-<account>}:managed-instance/* would remove the instance at exit"
    ;;
  *InvalidInstanceId*)
    info "$1 was already deregistered"
    rm -f "$STATE/instance-id"
    ;;
  *) printf '%s: error: deregistering %s failed: %s; hint: deregister it later with sm-ssh-init.sh deregister %s\n' "$PROG" "$1" "$(printf '%s\n' "$answer" | tail -n 1)" "$1" >&2 ;;
  esac
  return 0
}

# ---- commands ----

cleanup() {
  [ -z "$CLEANED" ] || return 0
  CLEANED=yes
  trap '' TERM INT HUP
  if [ -n "$HELPER_PID" ]; then
    # sm-ssh remote init deregisters when it gets SIGTERM; give it time for the call
    stop_pid "$HELPER_PID" 30
    HELPER_PID=
  fi
  if [ "$SCRIPT_REGISTERED" = yes ]; then
    deregister_with_aws_cli "$INSTANCE_ID"
  fi
  if [ -n "$SSHD_PID" ]; then stop_sshd; fi
  if [ -n "$SESSION_PATH_FILE" ]; then rm -f "$SESSION_PATH_FILE"; fi
  rm -f "$STATE/pid"
  info "stopped"
}

start() {
  [ -n "${SSH_OWNER_TAG:-}" ] ||
    die 2 "SSH_OWNER_TAG is not set, so the instance would have no SSHOwner" "pass the launching user's aws:userid (aws sts get-caller-identity --query UserId) in the container's environment"
  [ -n "$REGION" ] || die 2 "no AWS region (AWS_REGION and AWS_DEFAULT_REGION are empty)" "SageMaker sets AWS_REGION; elsewhere export AWS_REGION=us-east-1"
  case $SESSION_ENV in
  yes | no) ;;
  *) die 2 "SM_SSH_SESSION_ENV \"$SESSION_ENV\" is neither yes nor no" "leave it unset for yes (SSH sessions get the job's environment)" ;;
  esac
  case $PORT in
  '' | *[!0-9]*) die 2 "SM_SSH_SSHD_PORT \"$PORT\" is not a port number" "leave it unset for 22" ;;
  esac
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    die 1 "already running (pid $(cat "$STATE/pid"))" "stop it first: sm-ssh-init.sh stop"
  fi
  mkdir -p "$STATE" && chmod 700 "$STATE" && echo $$ >"$STATE/pid" ||
    die 1 "cannot write $STATE" "set SM_SSH_STATE_DIR to a writable directory"
  trap cleanup EXIT
  trap 'exit 0' TERM INT HUP

  find_sshd
  prepare_etc
  start_sshd
  find_agent
  if find_cli; then
    info "registering with SSM through $CLI remote init"
    SM_SSH_STATE_DIR=$STATE SM_SSH_AGENT=$AGENT "$CLI" remote init --region "$REGION" &
    HELPER_PID=$!
  elif have aws; then
    register_with_aws_cli
  else
    die 1 "neither sm-ssh (Node) nor the AWS CLI is here to create the SSM activation" "install Node 20+ and the sagemaker-ssh package (sm-ssh), or the AWS CLI, in the image; or set SM_SSH_CLI"
  fi
  wait "$HELPER_PID"
  status=$?
  HELPER_PID=
  die 1 "the SSM agent stopped by itself (exit code $status)" "see its log above; the instance is deregistered so that no one connects to a dead target"
}

stop_running() {
  pid=$(cat "$STATE/pid" 2>/dev/null) || pid=
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    tries=300
    while kill -0 "$pid" 2>/dev/null; do
      tries=$((tries - 1))
      [ "$tries" -gt 0 ] || die 1 "pid $pid did not stop within 60 s" "see its log; kill -KILL $pid ends it without deregistering"
      nap
    done
    info "stopped pid $pid"
  else
    info "not running"
    if [ -s "$STATE/instance-id" ]; then deregister_recorded ""; fi
  fi
}

deregister_recorded() {
  id=${1:-$(cat "$STATE/instance-id" 2>/dev/null)}
  case $id in
  mi-*) ;;
  *) die 2 "no instance id given and none recorded in $STATE" "pass mi-…, or the SM_SSH_STATE_DIR the start used" ;;
  esac
  [ -n "$REGION" ] || die 2 "no AWS region (AWS_REGION and AWS_DEFAULT_REGION are empty)" "export AWS_REGION"
  if find_cli; then
    "$CLI" remote deregister "$id" --region "$REGION" && rm -f "$STATE/instance-id"
  elif have aws; then
    deregister_with_aws_cli "$id"
  else
    die 1 "neither sm-ssh nor the AWS CLI is here to deregister $id" "install one, or deregister it from elsewhere"
  fi
}

case ${1:-start} in
start) start ;;
stop) stop_running ;;
deregister) deregister_recorded "${2:-}" ;;
help | -h | --help) usage ;;
*) die 2 "unknown command \"$1\"" "use start, stop, deregister [mi-…] or help" ;;
esac
