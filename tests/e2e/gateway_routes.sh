#!/usr/bin/env bash
# gateway_routes.sh: google.api.http routing through grpc-json-gateway in front of the echo backend:
# routes.Library (tests/proto/routes.proto) and its echo-friendly twin mirror.Mirror
# (tests/proto/mirror.proto, whose methods return their request type, so each answer is the request
# message the gateway bound). Literals, {field}, {field.sub}, {name=shelves/*}, {name=shelves/*/books/*},
# *, **, :verb, a custom method, additional_bindings, body "*" / field / none, response_body, query
# parameters, percent-decoding, 404 / 405 + Allow, and POST /pkg.Service/Method.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
. "$GW_SRCDIR/tests/e2e/echo_gateway_lib.sh"

start_echo echo
start_gateway gw --backend "$ECHO_ADDR" --descriptor "$ROUTES_DESC" --descriptor "$MIRROR_DESC"
URL=$GW_URL
start_gateway gwunknown --backend "$ECHO_ADDR" --descriptor "$ROUTES_DESC" --descriptor "$MIRROR_DESC" --allow-unknown-fields
URL_UNKNOWN=$GW_URL

# get PATH [CURL ARGS...]: GET with curl's URL globbing off ([] are map keys here).
get() { local p=$1; shift; req GET "$URL$p" -g "$@"; }
# expect_ok BODY WHAT: 200 with this body.
expect_ok() {
  expect_eq 200 "$STATUS" "$2: status"
  expect_eq "$1" "$BODY" "$2"
}

# ---------------------------------------------------------------- routes.Library on the echo backend
# These methods' output types differ from their inputs; where the fields line up (same number, same
# wire type) the echo shows what was bound.
get /v1/shelves/s1
expect_ok '{"name":"shelves/s1"}' "{name=shelves/*}: GetShelf"
get '/v1/shelves/featured?name=q'
expect_ok '{"name":"q"}' "a literal beats {name=shelves/*}: GetFeaturedShelf, name from the query"
get /v1/shelves/s1/books/b1
expect_ok '{"name":"shelves/s1/books/b1"}' "{name=shelves/*/books/*}: GetBook"
req LOCK "$URL/v1/shelves/s1/books/b1"
expect_ok '{"name":"shelves/s1/books/b1"}' "custom method LOCK"
req POST "$URL/v1/shelves/s1/books/b1:move" -d '{"otherShelf":"s2"}'
expect_ok '{"name":"shelves/s1/books/b1","author":"s2"}' ":move verb with body \"*\" (other_shelf lands in Book.author)"
get /v1/stats/anything/top
expect_ok '{}' "bare * matches one segment"
get /v1/stats/a/b/top
expect_eq 404 "$STATUS" "bare * does not match two segments"
get /v1/shelves/s1/books/b1:title
expect_ok '""' "response_body: only the title field (empty: the request had none)"
req POST "$URL/routes.Library/Ping"
expect_ok '{}' "unannotated method: POST /routes.Library/Ping"
req POST "$URL/routes.Library/GetShelf" -d '{"name":"direct"}'
expect_ok '{"name":"direct"}' "annotated method also as POST /routes.Library/GetShelf"
# ** keeps %2F (reserved) and decodes the rest; ReadFile's path (field 1) comes back as FileChunk.data.
get '/v1/files/a/b%2Fc%20d.txt'
expect_eq 200 "$STATUS" "{path=**} status"
expect_eq 'a/b%2Fc d.txt' "$(printf '%s' "$BODY" | "$PYTHON3" -c 'import sys,json,base64; print(base64.b64decode(json.load(sys.stdin)["data"]).decode())')" \
  "{path=**}: several segments, %2F left encoded, %20 decoded"

# 404 and 405 with Allow.
get /v1/nope
expect_eq 404 "$STATUS" "unknown path is 404"
expect_eq '{"code":5,"message":"no route for GET /v1/nope","details":[]}' "$BODY" "404 body"
get /v1/shelves/s1/books/b1/x
expect_eq 404 "$STATUS" "a path one segment too long is 404"
req PUT "$URL/v1/shelves"
expect_eq 405 "$STATUS" "PUT /v1/shelves is 405"
expect_eq "GET, POST" "$(header Allow)" "405 Allow lists the bound methods"
expect_match '"code":12' "$BODY" "405 body is UNIMPLEMENTED"
req POST "$URL/v1/shelves/s1/books/b1"
expect_eq 405 "$STATUS" "POST on a book is 405"
expect_eq "GET, PATCH, PUT, LOCK" "$(header Allow)" "Allow includes the custom method"
get /routes.Library/Ping
expect_eq 405 "$STATUS" "GET on POST /routes.Library/Ping is 405"
expect_eq "POST" "$(header Allow)" "Allow: POST"
req POST "$URL/routes.Library/Nope"
expect_eq 404 "$STATUS" "unknown method of a known service is 404"

# ---------------------------------------------------------------- mirror.Mirror: what was bound
# Query parameters of every kind, by JSON or proto name, dotted paths, repeated keys, map entries,
# enums by name and number, well-known types from their string forms, Struct/Value/ListValue as JSON.
get '/mirror/shelves/s1/books?pageSize=5&filter=a+b%26c&publishedAfter=2020-01-01T01:00:00%2B01:00&maxAge=1.5s&readMask=title,edition.printRun&minRating=3&onlyRead=true&ids=1&ids=-2&genre=FICTION&genres=1&genres=HISTORY&labels%5Bk%5D=v&labels[a%20b]=c&genre_by_year[1999]=SCIENCE&edition.number=2&edition.publisher.country_code=DE&edition.printed=2000-01-01T00:00:00Z&title_prefix=x&token=-_8&author=&include_unread=1&cursor=AQ&min_score=NaN&order_by=t&category.parent.name=y&extra=%7B%22a%22%3A%5B1%5D%7D&anyValue=%22s%22&keys=%5B1%2C%22x%22%5D'
expect_ok '{"parent":"shelves/s1","pageSize":5,"filter":"a b\u0026c","publishedAfter":"2020-01-01T00:00:00Z","maxAge":"1.500s","readMask":"title,edition.printRun","minRating":3,"onlyRead":true,"ids":["1","-2"],"genre":"FICTION","genres":["FICTION","HISTORY"],"labels":{"a b":"c","k":"v"},"genreByYear":{"1999":"SCIENCE"},"edition":{"number":2,"publisher":{"countryCode":"DE"},"printed":"2000-01-01T00:00:00Z"},"extra":{"a":[1]},"anyValue":"s","titlePrefix":"x","token":"+/8=","author":"","includeUnread":true,"cursor":"AQ==","minScore":"NaN","keys":[1,"x"],"orderBy":"t","category":{"parent":{"name":"y"}}}' \
  "query parameters of every kind"
get '/mirror/books?genre=7&genres=SCIENCE&genres=0&ids=9223372036854775807&onlyRead=0&minRating=-1'
expect_ok '{"minRating":-1,"onlyRead":false,"ids":["9223372036854775807"],"genre":7,"genres":["SCIENCE","GENRE_UNSPECIFIED"]}' \
  "enum numbers (known and unknown), bool 0, wrapper defaults kept"
get '/mirror/books?&pageSize=1&&filter=x&'
expect_ok '{"pageSize":1,"filter":"x"}' "empty query components are skipped"
get '/mirror/books/since/2020-01-01T00:00:00Z?pageSize=1'
expect_ok '{"pageSize":1,"publishedAfter":"2020-01-01T00:00:00Z"}' "additional binding with a Timestamp path variable"
get '/mirror/books/since/2020-01-01T00:00:00%2B02:00'
expect_ok '{"publishedAfter":"2019-12-31T22:00:00Z"}' "Timestamp path variable with a percent-encoded offset"
req POST "$URL/mirror/books:search?filter=f" -d '{"number":3,"publisher":{"name":"p"}}'
expect_ok '{"filter":"f","edition":{"number":3,"publisher":{"name":"p"}}}' "additional binding with body \"edition\" plus the query"
get '/mirror/shelves/s1/books/b1/editions/7?edition.printRun=9&edition.genre=2'
expect_ok '{"name":"shelves/s1/books/b1","edition":{"number":7,"printRun":"9","genre":"HISTORY"}}' \
  "{edition.number} in the path, other edition fields from the query"
req PATCH "$URL/mirror/shelves/s1/books/b1?updateMask=title" -d '{"title":"T","name":"from-body"}'
expect_ok '{"book":{"name":"shelves/s1/books/b1","title":"T"},"updateMask":"title"}' \
  "body \"book\" with {book.name}: the path variable wins, the rest from the query"
req PUT "$URL/mirror/shelves/s1/books/b1" -d '{"book":{"title":"T","name":"x"},"updateMask":"title,author"}'
expect_ok '{"book":{"name":"shelves/s1/books/b1","title":"T"},"updateMask":"title,author"}' "body \"*\" with {book.name}"
req POST "$URL/mirror/shelves/s1/books" -d '{"title":"New","tags":["a","b"],"edition":{"number":1}}'
expect_ok '{"title":"New","tags":["a","b"],"edition":{"number":1}}' "response_body \"book\": the Book alone (parent not shown)"
req POST "$URL/mirror/shelves/s1/books:move" -d '{}'
expect_eq 404 "$STATUS" "a verb on a path without one is 404"
req POST "$URL/mirror/shelves/s1/books/b1:move" -d '{"otherShelf":"s2"}'
expect_ok '{"name":"shelves/s1/books/b1","otherShelf":"s2"}' ":verb with body \"*\""
# A colon that is no rule's verb is part of the last segment: the book's routes match, not :move.
req POST "$URL/mirror/shelves/s1/books/b1:steal" -d '{}'
expect_eq 405 "$STATUS" "an unknown verb is not :move"
expect_eq "PATCH, PUT, LOCK" "$(header Allow)" "an unknown verb: the segment matches the book routes"
req LOCK "$URL/mirror/shelves/s1/books/b1:steal"
expect_ok '{"name":"shelves/s1/books/b1:steal"}' "an unknown verb stays in the variable"
get '/mirror/files/a/b%2Fc%20d/%41.txt?offset=5'
expect_ok '{"path":"a/b%2Fc d/A.txt","offset":"5"}' "{path=**}: multi-segment, %2F kept, other escapes decoded"
get '/mirror/files/x'
expect_ok '{"path":"x"}' "{path=**} with one segment"
req DELETE "$URL/mirror/shelves/s%201?force=true"
expect_ok '{"name":"shelves/s 1","force":true}' "no body: path and query; %20 decoded in {name=shelves/*}"
req DELETE "$URL/mirror/shelves/a%2Fb"
expect_ok '{"name":"shelves/a%2Fb"}' "{name=shelves/*} is a multi-segment variable: %2F stays encoded"
get '/mirror/shelves/s1/books/b1/editions/%37'
expect_ok '{"name":"shelves/s1/books/b1","edition":{"number":7}}' "single-segment variable {edition.number}: decoded"
get '/mirror/shelves/s1/books/b%2F1/editions/1'
expect_ok '{"name":"shelves/s1/books/b%2F1","edition":{"number":1}}' "multi-segment variable: %2F stays encoded"
req LOCK "$URL/mirror/shelves/s1/books/b1?view=HISTORY"
expect_ok '{"name":"shelves/s1/books/b1","view":"HISTORY"}' "custom method LOCK with a query enum"
get '/mirror/stats/x/top?top=3'
expect_ok '{"top":3}' "bare * route with a query parameter"
req POST "$URL/mirror.Mirror/Ping" -d '{"name":"n","view":2}'
expect_ok '{"name":"n","view":"HISTORY"}' "unannotated method: POST /mirror.Mirror/Ping"
req POST "$URL/mirror.Mirror/ListBooks" -d '{"parent":"p","ids":[1]}'
expect_ok '{"parent":"p","ids":["1"]}' "annotated method as POST /mirror.Mirror/ListBooks (body \"*\")"

# ---------------------------------------------------------------- binding errors: 400, backend not called
fence() { echo_fence echo /routes.Library/Ping -X POST "$URL/routes.Library/Ping"; }
fence
calls_before=$(echo_calls echo)
bad_query() {  # PATH NEEDLE WHAT [CURL ARGS]
  local p=$1 needle=$2 what=$3; shift 3
  req "${METHOD:-GET}" "$URL$p" -g "$@"
  expect_eq 400 "$STATUS" "$what: 400"
  expect_contains "$needle" "$BODY" "$what: message"
}
bad_query '/mirror/books?=x' "no field ''" "a value without a key"
bad_query '/mirror/books?nope=1' "no field 'nope' in message routes.ListBooksRequest" "unknown query parameter"
bad_query '/mirror/books?edition.nope=1' "no field 'nope' in message routes.Edition" "unknown nested query parameter"
bad_query '/mirror/books?pageSize=1&pageSize=2' "given more than once" "a singular field twice"
bad_query '/mirror/books?order_by=a&shuffle=true' "same oneof" "two members of a oneof"
bad_query '/mirror/shelves/s1/books?parent=x' "already bound by the URL path" "a field bound by the path"
bad_query '/mirror/books?genre=NOPE' "unknown enum value" "unknown enum name"
bad_query '/mirror/books?genre=99999999999' "out of the int32 range" "enum number out of range"
bad_query '/mirror/books?publishedAfter=yesterday' "RFC 3339" "bad Timestamp"
bad_query '/mirror/books?maxAge=1h' "maxAge" "bad Duration"
bad_query '/mirror/books?pageSize=abc' "pageSize" "bad integer"
bad_query '/mirror/books?onlyRead=yes' "expected true, false, 1 or 0" "bad bool"
bad_query '/mirror/books?labels=x' "labels[key]=value" "map without a key"
bad_query '/mirror/books?edition=x' "without a text form" "message without a text form"
bad_query '/mirror/books?extra=%5B1%5D' "expected a JSON object" "Struct that is not an object"
bad_query '/mirror/books?filter=%ZZ' "malformed percent-encoding" "bad percent-encoding"
bad_query '/mirror/books?token=%40%40' "token" "bad base64 in a BytesValue"
bad_query '/mirror/books/since/never' "RFC 3339" "bad Timestamp path variable"
bad_query '/mirror/shelves/s1/books/b1/editions/x' "edition.number" "bad integer path variable"
METHOD=POST bad_query '/mirror/shelves/s1/books/b1:move?name=x' "already bound by the request body" "query parameter with body \"*\"" -d '{}'
METHOD=DELETE bad_query '/mirror/shelves/s1' "takes no request body" "a body where the rule has none" -d '{"force":true}'
METHOD=PATCH bad_query '/mirror/shelves/s1/books/b1?book.title=x' "already bound by the request body" \
  "query parameter for the body field" -d '{}'
fence
expect_eq $((calls_before + 1)) "$(echo_calls echo)" "the backend saw none of the refused requests"

# --allow-unknown-fields ignores unknown query parameters (and only those).
req GET "$URL_UNKNOWN/mirror/books?nope=1&pageSize=2&edition.zz=3" -g
expect_ok '{"pageSize":2}' "--allow-unknown-fields ignores unknown query parameters"
req GET "$URL_UNKNOWN/mirror/books?pageSize=abc" -g
expect_eq 400 "$STATUS" "--allow-unknown-fields still refuses a bad value"
