#!/bin/sh
# summary.sh: prints "N passed, N failed" (and skips) for the tests in $TESTS from their .trs files.
pass=0 fail=0 skip=0 missing=0
for t in $TESTS; do
  trs="${t%.sh}.trs"
  if [ ! -f "$trs" ]; then missing=$((missing + 1)); continue; fi
  case "$(sed -n 's/^:global-test-result: //p' "$trs")" in
    PASS|XFAIL) pass=$((pass + 1)) ;;
    SKIP) skip=$((skip + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
done
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
[ "$missing" -gt 0 ] && line="$line, $missing not run"
echo "$line"
