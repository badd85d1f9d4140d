#!/usr/bin/env bash
# openapi_validate.sh: the OpenAPI documents the gateway generates for the greeter, the router's
# library service and the transcoder's kitchen protos (with default and with --proto-names
# --enums-as-ints options) pass an OpenAPI 3.0 validator (@apidevtools/swagger-parser, run by
# tests/openapi/validate.js), and a document with a path parameter removed does not.
# Needs Node.js and the validator: npm ci --prefix tests/openapi (skips, exit 77, without them).
. "$GW_SRCDIR/tests/lib.sh"

RENDER="$GW_BUILDDIR/tests/openapi/render_openapi"
VALIDATE="$GW_SRCDIR/tests/openapi/validate.js"
command -v node >/dev/null 2>&1 || skip "node not found: install Node.js (20 or later), then npm ci --prefix tests/openapi"
[ -d "$GW_SRCDIR/tests/openapi/node_modules/@apidevtools/swagger-parser" ] ||
  skip "the OpenAPI validator is not installed: run npm ci --prefix tests/openapi (in $GW_SRCDIR)"
[ -x "$RENDER" ] || fail "$RENDER is missing (make check builds it)"

GEN="$GW_BUILDDIR/gen"
"$RENDER" "$GEN/helloworld.desc" > "$WORK/greeter.json"
"$RENDER" "$GEN/tests/routes.desc" > "$WORK/routes.json"
"$RENDER" "$GEN/tests/kitchen.desc" > "$WORK/kitchen.json"
"$RENDER" --proto-names --enums-as-ints "$GEN/helloworld.desc" "$GEN/tests/routes.desc" "$GEN/tests/kitchen.desc" \
  > "$WORK/all.json"

out=$(node "$VALIDATE" "$WORK/greeter.json" "$WORK/routes.json" "$WORK/kitchen.json" "$WORK/all.json") ||
  fail "validation failed: $out"
echo "$out"
expect_contains "greeter.json: OpenAPI 3.0.3, 9 paths, 9 operations" "$out" "greeter document is valid"
expect_contains "routes.json: OpenAPI 3.0.3" "$out" "routes document is valid"
expect_contains "kitchen.json: OpenAPI 3.0.3" "$out" "kitchen document is valid"
expect_contains "all.json: OpenAPI 3.0.3" "$out" "combined document with proto names and enum numbers is valid"

# The validator is not a rubber stamp: a document with a path parameter removed, and one with an
# operation that lacks its required responses, are both refused.
node -e '
  const fs = require("fs");
  const doc = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete doc.paths["/v1/hello/{name}"].get.parameters;
  fs.writeFileSync(process.argv[2], JSON.stringify(doc));
  const doc2 = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete doc2.paths["/v1/hello"].post.responses;
  fs.writeFileSync(process.argv[3], JSON.stringify(doc2));
' "$WORK/greeter.json" "$WORK/no_param.json" "$WORK/no_responses.json"
for broken in no_param no_responses; do
  if out=$(node "$VALIDATE" "$WORK/$broken.json"); then fail "$broken.json passed: $out"; fi
  expect_contains "not ok" "$out" "$broken.json is refused"
done

# Bad usage and bad input are reported, not crashes.
st=0; "$RENDER" >/dev/null 2>&1 || st=$?
expect_eq 2 "$st" "render_openapi without descriptors is a usage error"
printf 'not a descriptor set' > "$WORK/bad.desc"
st=0; "$RENDER" "$WORK/bad.desc" >/dev/null 2>"$WORK/err.txt" || st=$?
expect_eq 1 "$st" "a file that is no descriptor set fails"
expect_contains "bad.desc" "$(cat "$WORK/err.txt")" "the error names the file"
