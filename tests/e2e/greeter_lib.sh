# greeter_lib.sh: helpers for the greeter, echo and interop tests, sourced after tests/lib.sh.

# stopped NAME [SIGNAL]: lib.sh's `stop`, run in this shell (inside "$(...)" the subshell cannot wait
# for the process), with the exit status in $code.
stopped() {
  stop "$@" >"$WORK/stop.code"
  code=$(cat "$WORK/stop.code")
}

# log_field NAME REGEX FIELD: the value of FIELD (e.g. out) in the first line of NAME's log that
# matches REGEX.
log_field() {
  grep -E -m1 -- "$2" "$(log_of "$1")" | sed -n "s/.* $3=\([^ ]*\).*/\1/p"
}
