#!/usr/bin/env bash
# man_flags.sh: the manual pages keep up with the programs. For grpc-json-gateway, greeter-server and
# greeter-client: every --flag that `--help` prints has an entry under OPTIONS in man/<program>.1,
# every entry there is a flag the program prints (or --help/--version, which must work), and each
# default that --help states is the default the page states. The pages also format without groff
# warnings where groff is installed.
. "$GW_SRCDIR/tests/lib.sh"

# The flags of a page's OPTIONS entries (the line after each .TP), roff escapes undone.
page_flags() {
  awk '/^\.SH OPTIONS/ {on = 1; next} /^\.SH/ {on = 0} on && prev == ".TP" {print} {prev = $0}' "$1" |
    sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The text of a flag's entry under OPTIONS (tag line and body up to the next macro that ends it).
page_entry() {
  local page=$1 flag=$2
  sed 's/\\-/-/g' "$page" | awk -v f="$flag" '
    /^\.SH/ { opts = ($0 ~ /^\.SH OPTIONS/) }
    /^\.(TP|PP|SH|SS)/ { if (on) done = 1; on = 0; tag = ($0 == ".TP"); next }
    tag && opts && !done { tag = 0; n = split($0, w, /[ ,"]+/); for (i = 1; i <= n; i++) if (w[i] == f) on = 1 }
    on { print }'
}

check_program() {
  local prog=$1 page=$2 name help flags_help flags_page f def entry
  name=$(basename "$prog")
  [ -x "$prog" ] || fail "$prog is not built"
  [ -f "$page" ] || fail "$page is missing"
  help=$("$prog" --help) || fail "$name --help failed"
  "$prog" --version >/dev/null || fail "$name --version failed"
  # Option lines start with the flag (other mentions, such as protoc's --include_imports, do not count).
  flags_help=$(grep -oE -- '^ +--[a-z][a-z0-9-]*' <<<"$help" | tr -d ' ' | sort -u)
  flags_page=$(page_flags "$page")
  [ -n "$flags_help" ] || fail "$name --help lists no flags"
  for f in $flags_help; do
    grep -qx -- "$f" <<<"$flags_page" || fail "$name: $f is in --help but has no entry under OPTIONS in $page"
  done
  for f in $flags_page; do
    case $f in --help|--version) continue ;; esac
    grep -qx -- "$f" <<<"$flags_help" || fail "$name: $page documents $f, which --help does not list"
  done
  echo "ok - $name: $(wc -w <<<"$flags_help") flags of --help all documented in $(basename "$page")"
  # Defaults: "[default: X]" (the gateway) or "(default X" (the greeter programs).
  while IFS= read -r line; do
    f=$(grep -oE -- '^ *--[a-z][a-z0-9-]*' <<<"$line" | tr -d ' ') || continue
    def=$(sed -nE 's/.*\[default: ([^]]+)\].*/\1/p; s/.*\(default ([^;)]+).*/\1/p' <<<"$line")
    [ -n "$def" ] || continue
    entry=$(page_entry "$page" "$f")
    [[ "$entry" == *"Default: $def"* ]] || fail "$name: --help says $f defaults to $def, $page says: $entry"
  done <<<"$help"
  echo "ok - $name: the defaults in --help match the page"
  if command -v groff >/dev/null 2>&1; then
    warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
    expect_eq "" "$warnings" "$(basename "$page") formats without groff warnings"
  fi
}

check_program "$GATEWAY" "$GW_SRCDIR/man/grpc-json-gateway.1"
check_program "$GREETER_SERVER" "$GW_SRCDIR/man/greeter-server.1"
check_program "$GREETER_CLIENT" "$GW_SRCDIR/man/greeter-client.1"

# The gateway page names the environment variable rule; check it against what --help prints.
help=$("$GATEWAY" --help)
expect_contains "env GW_MAX_BODY_BYTES" "$help" "--max-body-bytes is GW_MAX_BODY_BYTES, as the page says"
expect_contains "GW_MAX_BODY_BYTES" "$(cat "$GW_SRCDIR/man/grpc-json-gateway.1")" "the page names GW_MAX_BODY_BYTES"

# The check itself can fail: a page missing an entry is caught.
sed '/^\.BI \\-\\-idle\\-timeout/,+2d' "$GW_SRCDIR/man/grpc-json-gateway.1" > "$WORK/stale.1"
if (check_program "$GATEWAY" "$WORK/stale.1") >/dev/null 2>&1; then fail "a page without --idle-timeout passed"; fi
echo "ok - a page that lacks a flag is caught"
