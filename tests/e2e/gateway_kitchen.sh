#!/usr/bin/env bash
# gateway_kitchen.sh: the proto3 JSON mapping through grpc-json-gateway in front of the echo backend,
# on kitchen.Everything (tests/proto/kitchen.proto: every scalar type, enums, maps, oneofs, proto3
# optional, nesting and every well-known type). The echo returns the request, so each answer is the
# gateway's canonical JSON of what it encoded; Python protobuf's json_format is the oracle
# (tests/e2e/kitchen_oracle.py), under the default options and --emit-defaults, --proto-names,
# --enums-as-ints, --allow-unknown-fields. Then bad input: 400 naming the field, backend not called.
. "${GW_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh" || exit 99
. "$GW_SRCDIR/tests/e2e/echo_gateway_lib.sh"
oracle_available || skip "python3 protobuf (the JSON oracle) is missing ($PYTHON3; Debian: python3-protobuf)"

start_echo echo
# mirror.desc adds POST /mirror/decode: wire bytes in, the same bytes rendered as Everything out.
start_gateway gw --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --descriptor "$MIRROR_DESC"
URL=$GW_URL
start_gateway gwdefaults --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --emit-defaults
URL_DEFAULTS=$GW_URL
start_gateway gwnames --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --proto-names --enums-as-ints
URL_NAMES=$GW_URL
start_gateway gwall --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --emit-defaults --proto-names --enums-as-ints
URL_ALL=$GW_URL
start_gateway gwunknown --backend "$ECHO_ADDR" --descriptor "$KITCHEN_DESC" --allow-unknown-fields
URL_UNKNOWN=$GW_URL

# ---------------------------------------------------------------- 1. the mapping, against the oracle
# One case per line: a label, then the request body. Inputs use every accepted spelling; the
# expected output is whatever Python renders for the message Python parses from the same input.
CASES=$(cat <<'EOF'
# Scalars, all 16 field types of Everything (the 15 scalar types and an enum).
scalars_typical {"fDouble":1.5,"fFloat":0.25,"fInt64":"-9223372036854775808","fUint64":"18446744073709551615","fInt32":-2147483648,"fFixed64":"18446744073709551615","fFixed32":4294967295,"fBool":true,"fString":"h\u00e9llo \"q\" <&> \u2028 \ud83d\ude00","fBytes":"AAEC/w==","fUint32":4294967295,"fEnum":"COLOR_BLUE","fSfixed32":-2147483648,"fSfixed64":"-9223372036854775808","fSint32":-2147483648,"fSint64":"-9223372036854775808"}
scalars_max {"fInt64":"9223372036854775807","fInt32":2147483647,"fSfixed32":2147483647,"fSfixed64":"9223372036854775807","fSint32":2147483647,"fSint64":"9223372036854775807","fDouble":1.7976931348623157e308,"fFloat":3.4028234e38}
int64_as_numbers {"fInt64":9007199254740993,"fUint64":9223372036854775807,"fFixed64":123,"fSfixed64":-5,"fSint64":-1}
int32_as_strings {"fInt32":"-7","fUint32":"7","fFixed32":"8","fSfixed32":"-9","fSint32":"-10"}
ints_as_whole_reals {"fInt32":1e2,"fInt64":1.0,"fUint32":3.0e0,"fSint64":-2E1}
floats_special {"fDouble":"NaN","fFloat":"-Infinity","rDouble":["Infinity","-Infinity","NaN",0.5],"rFloat":["NaN","Infinity"],"uDouble":["-Infinity"],"uFloat":["NaN"]}
floats_as_strings {"fDouble":"1.25","fFloat":"3","rDouble":["-2.5e-3","1e10"]}
floats_precision {"fDouble":0.30000000000000004,"fFloat":0.1,"rFloat":[1e-45,16777217,-3.4028234e38,1.17549435e-38],"rDouble":[5e-324,2.2250738585072014e-308,1e21,1.2345678901234568e20,0.000001]}
bytes_standard_padded {"fBytes":"AAEC/w==","rBytes":["+/+/","YQ==","YWI=","",""]}
bytes_standard_unpadded {"fBytes":"AAEC/w","rBytes":["YQ","YWI"]}
bytes_urlsafe_padded {"fBytes":"AAEC_w==","rBytes":["-_-_"]}
bytes_urlsafe_unpadded {"fBytes":"AAEC_w","rBytes":["-_-_","_w"]}
enums_by_name {"fEnum":"COLOR_GREEN","rEnum":["COLOR_RED","COLOR_INFRARED","COLOR_UNSPECIFIED"],"uEnum":["COLOR_BLUE"]}
enums_by_number {"fEnum":2,"rEnum":[1,-1,0,3],"uEnum":[3,1]}
enums_unknown_number {"fEnum":7,"rEnum":[42,1],"mInt32Enum":{"5":99}}
enums_negative {"fEnum":"COLOR_INFRARED","oEnum":-1}
# Maps with every key kind the proto has.
maps_string_keys {"mStringInt32":{"a":1,"b":-2,"":3,"\u00e9":4},"mStringEverything":{"k":{"fInt32":1,"mStringInt32":{"z":0}},"e":{}}}
maps_int_keys {"mInt64Nested":{"-5":{"label":"x"},"9223372036854775807":{},"0":{"count":1}},"mInt32Enum":{"1":"COLOR_RED","-2":2},"mUint64Bytes":{"18446744073709551615":"AQ","1":""},"mSint32Double":{"-1":"NaN","2":0.5},"mFixed64Float":{"1":1.5}}
maps_bool_keys {"mBoolString":{"true":"t","false":"f"}}
maps_values {"mStringValue":{"v":{"a":[1,"x",null,true]},"n":null,"s":"str","l":[]}}
# Repeated, packed (the proto3 default) and [packed=false].
repeated_packed {"rInt32":[1,-1,2147483647],"rInt64":["-1",2,"9223372036854775807"],"rUint32":[0,4294967295],"rUint64":["18446744073709551615"],"rSint32":[-1,1],"rSint64":["-1","1"],"rFixed32":[1],"rFixed64":["2"],"rSfixed32":[-3],"rSfixed64":["-4"],"rBool":[true,false,true],"rString":["a","","c"],"rDouble":[1.5,0]}
repeated_unpacked {"uInt32":[1,-1,2147483647],"uInt64":["-1",2],"uUint32":[0,4294967295],"uUint64":["18446744073709551615"],"uSint32":[-1,1],"uSint64":["-1","1"],"uFixed32":[1],"uFixed64":["2"],"uSfixed32":[-3],"uSfixed64":["-4"],"uBool":[true,false],"uDouble":[1.5,0],"uFloat":[0.5]}
repeated_empty {"rInt32":[],"uInt32":[],"rString":[],"rNested":[],"rAny":[]}
# Oneofs: a member set to its default is still present.
oneof_str {"choiceStr":""}
oneof_int {"choiceInt":"0"}
oneof_msg {"choiceMsg":{}}
oneof_enum {"choiceEnum":"COLOR_UNSPECIFIED"}
oneof_other_member_null {"choiceStr":"a","choiceInt":null}
# Nested messages and recursion.
nested {"nested":{"label":"a","count":2,"tags":["x","y"],"child":{"child":{"label":"deep"}}},"rNested":[{},{"label":"b"}]}
recursive {"recursive":{"fInt32":3,"recursive":{"fString":"x","rRecursive":[{"fBool":true},{}]}},"rRecursive":[{"nested":{"count":-1}}]}
# proto3 optional: presence, so default values are printed.
optional_defaults {"oInt32":0,"oString":"","oEnum":"COLOR_UNSPECIFIED","oDouble":0,"oBool":false,"oNested":{}}
optional_values {"oInt32":-5,"oString":"s","oEnum":2,"oDouble":"NaN","oBool":true,"oNested":{"label":"n"}}
optional_null {"oInt32":null,"oNested":null,"oString":"x"}
# Defaults are omitted; null means unset.
defaults_omitted {"fInt32":0,"fString":"","fBool":false,"fBytes":"","fEnum":"COLOR_UNSPECIFIED","fDouble":0,"fFloat":0.0,"fInt64":"0","fUint64":0,"rInt32":[],"mStringInt32":{}}
null_is_unset {"fInt32":null,"fString":null,"nested":null,"rInt32":null,"mStringInt32":null,"wTimestamp":null,"wInt32":null,"wAny":null,"wStruct":null,"wListValue":null,"fEnum":null}
# Field names: proto names and json names (json_name) both accepted on input.
names_proto {"f_int32":1,"field_name1":2,"field__name2":3,"_field_name3":4,"field_name_4_x":5,"fieldName5":6,"renamed":"r","a1b2c3":7,"m_string_int32":{"a":1},"w_timestamp":"1970-01-01T00:00:01Z","o_int32":0}
names_json {"fInt32":1,"fieldName1":2,"fieldName2":3,"FieldName3":4,"fieldName4X":5,"fieldName5":6,"customJson":"r","a1b2c3":7}
# Well-known types.
timestamp_utc {"wTimestamp":"1970-01-01T00:00:00Z","rTimestamp":["0001-01-01T00:00:00Z","9999-12-31T23:59:59.999999999Z","2024-02-29T12:00:00.5Z"]}
timestamp_offsets {"wTimestamp":"2020-01-01T01:00:00+01:00","rTimestamp":["2020-01-01T00:00:00.123-08:30","1999-12-31T23:59:59.123456+00:00","2000-01-01T00:00:00.123456789-00:01"]}
duration {"wDuration":"1.5s"}
duration_negative {"wDuration":"-1.000000001s"}
duration_limits {"wDuration":"315576000000.999999999s","mStringValue":{"x":"0.010s"}}
duration_fractions {"wDuration":"0.010s"}
duration_zero {"wDuration":"0s"}
wrappers {"wDouble":1.5,"wFloat":"NaN","wInt64":"5","wUint64":"18446744073709551615","wInt32":-3,"wUint32":4294967295,"wBool":true,"wString":"s","wBytes":"AQ"}
wrappers_defaults_present {"wDouble":0,"wFloat":0,"wInt64":"0","wUint64":"0","wInt32":0,"wUint32":0,"wBool":false,"wString":"","wBytes":""}
wrappers_repeated {"rWrappedInt32":[1,0,-1]}
struct {"wStruct":{"a":1,"b":[true,null,{"c":"d"}],"e":{},"f":"g","h":-0.5}}
struct_empty {"wStruct":{}}
value_kinds {"wValue":1.5,"rValue":[1,"a",null,true,[],{},{"k":[1,[2]]}]}
value_string {"wValue":"text"}
value_null {"wValue":null}
value_object {"wValue":{"x":{"y":[null]}}}
list_value {"wListValue":[1,[2],{},"x",null,false]}
list_value_empty {"wListValue":[]}
field_mask {"wFieldMask":"fInt32,nested.label,wTimestamp,mStringInt32"}
field_mask_one {"wFieldMask":"a"}
empty {"wEmpty":{}}
null_value {"wNull":null}
null_value_by_name {"wNull":"NULL_VALUE"}
any_message {"wAny":{"@type":"type.googleapis.com/kitchen.Nested","label":"x","count":3}}
any_type_last {"wAny":{"label":"x","tags":["a"],"@type":"type.googleapis.com/kitchen.Nested"}}
any_everything {"wAny":{"@type":"type.googleapis.com/kitchen.Everything","fInt64":"1","wAny":{"@type":"type.googleapis.com/kitchen.Detail","reason":"r","metadata":{"a":"b"}},"wDuration":"2s"}}
any_wkt_duration {"wAny":{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1.200s"}}
any_wkt_timestamp {"wAny":{"@type":"type.googleapis.com/google.protobuf.Timestamp","value":"2020-01-01T00:00:00+02:00"}}
any_wkt_struct {"wAny":{"@type":"type.googleapis.com/google.protobuf.Struct","value":{"a":[1,{}]}}}
any_wkt_value {"wAny":{"@type":"type.googleapis.com/google.protobuf.Value","value":"v"}}
any_wkt_wrapper {"wAny":{"@type":"type.googleapis.com/google.protobuf.Int64Value","value":"-9"}}
any_wkt_empty {"wAny":{"@type":"type.googleapis.com/google.protobuf.Empty"}}
any_wkt_field_mask {"wAny":{"@type":"type.googleapis.com/google.protobuf.FieldMask","value":"a.b,cD"}}
any_of_any {"wAny":{"@type":"type.googleapis.com/google.protobuf.Any","value":{"@type":"type.googleapis.com/kitchen.Retry","delay":"3s"}}}
any_repeated {"rAny":[{"@type":"type.googleapis.com/kitchen.Nested"},{"@type":"type.googleapis.com/google.rpc.Status","code":5,"message":"m","details":[{"@type":"type.googleapis.com/kitchen.Detail","reason":"x"}]}]}
# proto2 from another file: explicit presence.
legacy {"legacy":{"optInt":0,"reqStr":"x","unpackedInts":[1,2],"packedInts":[3,-4],"mood":"MOOD_SAD","withDefault":"dflt"}}
# Everything at once, in one message.
everything {"fInt32":1,"fString":"s","rInt32":[1,2],"uEnum":["COLOR_RED"],"oBool":false,"nested":{"label":"n"},"mBoolString":{"false":""},"choiceMsg":{"count":1},"wTimestamp":"2000-01-01T00:00:00Z","wDuration":"-0.5s","wStruct":{"k":"v"},"wInt32":7,"wFieldMask":"fInt32","wEmpty":{},"wAny":{"@type":"type.googleapis.com/kitchen.Nested","label":"a"},"customJson":"c"}
EOF
)

# Proto2 scalars under --emit-defaults differ in Python by design (see kitchen_oracle.py): the
# option runs leave out the legacy case.
CASES_NO_PROTO2=$(echo "$CASES" | grep -v '^legacy ')

# The four gateways are driven at once (each run is a sequence of curl calls), then checked.
run_cases "$WORK/default" "$URL/v1/echo" <<<"$CASES" & p1=$!
run_cases "$WORK/defaults" "$URL_DEFAULTS/v1/echo" <<<"$CASES_NO_PROTO2" & p2=$!
run_cases "$WORK/names" "$URL_NAMES/v1/echo" <<<"$CASES" & p3=$!
run_cases "$WORK/all" "$URL_ALL/v1/echo" <<<"$CASES_NO_PROTO2" & p4=$!
wait $p1 && wait $p2 && wait $p3 && wait $p4 || fail "running the cases"
oracle_check "$WORK/default" kitchen.Everything
oracle_check "$WORK/defaults" kitchen.Everything --emit-defaults
oracle_check "$WORK/names" kitchen.Everything --proto-names --enums-as-ints
oracle_check "$WORK/all" kitchen.Everything --emit-defaults --proto-names --enums-as-ints

# A few exact strings, so that the oracle itself is pinned to the rules it stands for.
req POST "$URL/v1/echo" -d '{"fInt64":5,"fUint32":"6","fBytes":"-_8","fEnum":1,"fFloat":0.1,"wTimestamp":"2020-01-01T01:00:00+01:00","wDuration":"1.5s"}'
expect_eq 200 "$STATUS" "echo status"
expect_eq "application/json" "$(header Content-Type)" "echo content type"
expect_eq '{"fFloat":0.1,"fInt64":"5","fBytes":"+/8=","fUint32":6,"fEnum":"COLOR_RED","wTimestamp":"2020-01-01T00:00:00Z","wDuration":"1.500s"}' \
  "$BODY" "64-bit as strings, 32-bit as numbers, bytes standard padded, enum name, Timestamp in Z, Duration"
req POST "$URL/v1/echo" -d '{"fDouble":"NaN","rFloat":["Infinity","-Infinity"]}'
expect_eq '{"fDouble":"NaN","rFloat":["Infinity","-Infinity"]}' "$BODY" "NaN and infinities as strings"
req POST "$URL/v1/echo" -d '{"fInt32":0,"fString":"","rInt32":[],"fEnum":"COLOR_UNSPECIFIED","wInt32":0,"oInt32":0}'
expect_eq '{"oInt32":0,"wInt32":0}' "$BODY" "defaults omitted, presence kept"
req POST "$URL_DEFAULTS/v1/echo" -d '{}'
expect_match '^\{"fDouble":0,"fFloat":0,"fInt64":"0",.*"fEnum":"COLOR_UNSPECIFIED",.*"rDouble":\[\],.*"nested":null,.*"mStringInt32":\{\},' \
  "$BODY" "--emit-defaults prints zero values, [] and {}, and null for messages"
[[ "$BODY" != *'"oInt32"'* && "$BODY" != *'"choiceStr"'* ]] || fail "--emit-defaults printed an unset optional or oneof member: $BODY"
echo "ok - --emit-defaults leaves unset optional and oneof members out"
req POST "$URL_NAMES/v1/echo" -d '{"fEnum":"COLOR_BLUE","field_name_4_x":1,"customJson":"c","fieldName5":2}'
expect_eq '{"f_enum":3,"field_name_4_x":1,"fieldName5":2,"renamed":"c"}' "$BODY" "--proto-names --enums-as-ints"

# --allow-unknown-fields: unknown members are dropped, at any depth, and the rest goes through.
CASES_UNKNOWN=$(cat <<'EOF'
unknown_top {"nope":1,"fInt32":2}
unknown_nested {"nested":{"bogus":{"x":[1,{"y":null}]},"label":"a"},"rNested":[{"zz":"q"}]}
unknown_in_any {"wAny":{"@type":"type.googleapis.com/kitchen.Nested","label":"x","extra":true}}
unknown_in_map_value {"mStringEverything":{"k":{"what":1,"fBool":true}}}
known_only {"fString":"plain"}
EOF
)
run_cases "$WORK/unknown" "$URL_UNKNOWN/v1/echo" <<<"$CASES_UNKNOWN"
oracle_check "$WORK/unknown" kitchen.Everything --allow-unknown
req POST "$URL_UNKNOWN/v1/echo" -d '{"nope":1,"fInt32":2,"nested":{"x":[]}}'
expect_eq '{"fInt32":2,"nested":{}}' "$BODY" "--allow-unknown-fields drops unknown fields"

# ---------------------------------------------------------------- 1b. wire data -> JSON, against the oracle
# Bytes written by hand (printf escapes), as a backend may send them: repeated fields packed where
# they are declared unpacked and the reverse, values given twice, messages and map entries split in
# parts, unknown fields, wrong wire types, malformed data (500 INTERNAL, as Python cannot read it).
wire() { echo "$1 {\"everything\":\"$(printf "$2" | base64 -w0)\"}"; }
WIRE_CASES=$(
  wire plain '\x28\x01'
  wire empty ''
  wire unpacked_for_packed '\xc8\x01\x01\xc8\x01\x7f\xc8\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01'
  wire packed_for_unpacked '\xea\x02\x03\x01\x02\x03\xe8\x02\x04'
  wire packed_in_two_runs '\xca\x01\x01\x05\xca\x01\x01\x06'
  wire packed_fixed_and_double '\xda\x01\x08\x01\x00\x00\x00\x02\x00\x00\x00\xaa\x01\x08\x00\x00\x00\x00\x00\x00\xf8\x7f'
  wire last_value_wins '\x28\x01\x28\x02\x48\x01\x48\x00'
  wire oneof_last_member_wins '\xd2\x05\x01x\xd8\x05\x07'
  wire message_parts_merge '\xb2\x04\x03\x0a\x01a\xb2\x04\x02\x10\x05\xb2\x04\x03\x1a\x01t\xb2\x04\x03\x1a\x01u'
  wire map_entries '\x82\x05\x05\x0a\x01a\x10\x01\x82\x05\x05\x0a\x01a\x10\x02\x82\x05\x03\x0a\x01b\x82\x05\x02\x10\x09'
  wire map_entry_value_first '\x82\x05\x05\x10\x03\x0a\x01z'
  wire unknown_fields '\xb8\x3e\x01\xbd\x3e\x01\x02\x03\x04\xba\x3e\x02hi\x28\x03'
  wire wrong_wire_type '\x0a\x03abc\x2d\x01\x00\x00\x00'
  wire enum_unknown_number '\x60\x09\x82\x02\x02\x05\x63'
  wire negative_int32 '\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01'
  wire int32_from_wide_varint '\x28\x81\x80\x80\x80\x10'
  wire bool_from_big_varint '\x40\x02'
  wire any_known '\xa2\x06\x29\x0a\x22type.googleapis.com/kitchen.Nested\x12\x03\x0a\x01x'
  wire timestamp_nanos '\xaa\x06\x06\x08\x01\x10\xc0\x84\x3d'
  wire duration_negative '\xb2\x06\x0d\x08\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\x10\x00'
  wire struct_fields '\xca\x06\x0b\x0a\x09\x0a\x01k\x12\x04\x20\x01\x20\x00'
  wire malformed_truncated_varint '\x28'
  wire malformed_length_past_end '\x4a\x05ab'
  wire malformed_wire_type_7 '\x2f'
  wire malformed_field_zero '\x00\x01'
  wire malformed_nested '\xb2\x04\x02\x10'
  wire timestamp_out_of_range '\xaa\x06\x0a\x08\xff\xff\xff\xff\xff\xff\xff\xff\x7f'
  wire duration_nanos_out_of_range '\xb2\x06\x08\x08\x01\x10\x80\x94\xeb\xdc\x03'
)
ROUNDTRIP=0 run_cases "$WORK/wire" "$URL/mirror/decode" <<<"$WIRE_CASES"
oracle_check "$WORK/wire" kitchen.Everything --wire everything
# Beyond Python's reach: an Any of a type the descriptor sets lack prints as @type and base64 value
# (Python refuses to render it), and invalid UTF-8 in a string is replaced (Python refuses the bytes).
req POST "$URL/mirror/decode" -d "{\"everything\":\"$(printf '\xa2\x06\x1f\x0a\x19type.googleapis.com/a.B.C\x12\x02\x08\x01' | base64 -w0)\"}"
expect_eq '{"wAny":{"@type":"type.googleapis.com/a.B.C","value":"CAE="}}' "$BODY" "an Any of an unknown type: @type and base64 value"
req POST "$URL/v1/echo" -d '{"wAny":{"@type":"type.googleapis.com/a.B.C","value":"CAE="}}'
expect_eq '{"wAny":{"@type":"type.googleapis.com/a.B.C","value":"CAE="}}' "$BODY" "that form reads back as input"
req POST "$URL/mirror/decode" -d "{\"everything\":\"$(printf 'J\x03a\xffb' | base64 -w0)\"}"
expect_eq '{"fString":"a\ufffdb"}' "$(printf '%s' "$BODY" | "$PYTHON3" -c 'import json,sys; print(json.dumps(json.load(sys.stdin),separators=(",",":")))')" \
  "invalid UTF-8 from the backend becomes U+FFFD"

# ---------------------------------------------------------------- 2. bad input: 400, backend not called
# bad_input WHAT BODY NEEDLE...: the answer must be 400 with an INVALID_ARGUMENT Status whose message
# holds each NEEDLE, and the echo backend must not have been called.
# (The backend must not have been called: checked for all of them at the end, between two fences.)
bad_input() {
  local what=$1 body=$2 needle; shift 2
  req POST "$URL/v1/echo" --data-binary "$body"
  expect_eq 400 "$STATUS" "$what: 400"
  expect_match '^\{"code":3,"message":".+","details":\[\]\}$' "$BODY" "$what: INVALID_ARGUMENT Status body"
  for needle in "$@"; do
    [[ "$BODY" == *"$needle"* ]] || fail "$what: the message should contain [$needle]: $BODY"
  done
}
fence() { echo_fence echo /kitchen.Echo/EchoClientStream -d '{}' "$URL/v1/echo:collect"; }
fence
calls_before=$(echo_calls echo)

bad_input "malformed JSON" '{"fInt32":1,' "line 1, column"
bad_input "malformed JSON on line 2" $'{\n  "fInt32": 1 2}' "line 2"
bad_input "trailing garbage" '{"fInt32":1} x' "line 1"
bad_input "second JSON value" '{"fInt32":1}{"fInt32":2}'
bad_input "not an object" '[1,2]' "object"
bad_input "wrong type: string for int32" '{"fInt32":"abc"}' "fInt32"
bad_input "wrong type: number for string" '{"fString":5}' "fString"
bad_input "wrong type: object for bool" '{"fBool":{}}' "fBool"
bad_input "wrong type: array for message" '{"nested":[1]}' "nested"
bad_input "wrong type: scalar in repeated" '{"rInt32":5}' "rInt32"
bad_input "wrong type: deep path" '{"rNested":[{},{"child":{"count":"x"}}]}' "rNested[1].child.count"
bad_input "wrong type: map value" '{"mStringInt32":{"a":true}}' "mStringInt32"
bad_input "bad map key" '{"mInt64Nested":{"x":{}}}' "mInt64Nested" "'x'"
bad_input "bad bool map key" '{"mBoolString":{"yes":"y"}}' "mBoolString"
bad_input "int32 out of range" '{"fInt32":2147483648}' "fInt32"
bad_input "uint32 negative" '{"fUint32":-1}' "fUint32"
bad_input "uint64 out of range" '{"fUint64":"18446744073709551616"}' "fUint64"
bad_input "int64 out of range" '{"fInt64":"9223372036854775808"}' "fInt64"
bad_input "fractional integer" '{"fInt32":1.5}' "fInt32"
bad_input "float out of range" '{"fFloat":1e39}' "fFloat"
bad_input "unquoted NaN" '{"fDouble":NaN}' "line 1"
bad_input "unknown enum name" '{"fEnum":"COLOR_PURPLE"}' "fEnum" "COLOR_PURPLE"
bad_input "unknown enum name in repeated" '{"rEnum":["COLOR_RED","NOPE"]}' "rEnum[1]"
bad_input "bad base64" '{"fBytes":"@@@"}' "fBytes"
bad_input "bad base64 in repeated" '{"rBytes":["AA==","A"]}' "rBytes[1]"
bad_input "bad timestamp" '{"wTimestamp":"2020-13-01T00:00:00Z"}' "wTimestamp"
bad_input "timestamp without zone" '{"wTimestamp":"2020-01-01T00:00:00"}' "wTimestamp"
bad_input "timestamp as number" '{"wTimestamp":0}' "wTimestamp"
bad_input "timestamp out of range" '{"wTimestamp":"10000-01-01T00:00:00Z"}' "wTimestamp"
bad_input "bad duration" '{"wDuration":"1h"}' "wDuration"
bad_input "duration out of range" '{"wDuration":"315576000001s"}' "wDuration"
bad_input "bad wrapper" '{"wInt32":"x"}' "wInt32"
bad_input "bad field mask" '{"wFieldMask":5}' "wFieldMask"
bad_input "struct not an object" '{"wStruct":[1]}' "wStruct"
bad_input "any without @type" '{"wAny":{"label":"x"}}' "wAny"
bad_input "any with an unknown type" '{"wAny":{"@type":"type.googleapis.com/nope.Nope","a":1}}' "wAny" "nope.Nope"
bad_input "any: bad field inside" '{"wAny":{"@type":"type.googleapis.com/kitchen.Nested","count":"x"}}' "count"
bad_input "two members of a oneof" '{"choiceStr":"a","choiceInt":1}' "choice"
bad_input "one field under both names" '{"fInt32":1,"f_int32":2}' "f_int32"
bad_input "unknown field" '{"fInt32":1,"noSuchField":2}' "noSuchField" "kitchen.Everything"
bad_input "unknown nested field" '{"nested":{"lable":"x"}}' "lable" "kitchen.Nested"
bad_input "unknown field in an Any" '{"wAny":{"@type":"type.googleapis.com/kitchen.Nested","nope":1}}' "nope"
bad_input "invalid UTF-8" $'{"fString":"\xff"}'
fence
expect_eq $((calls_before + 1)) "$(echo_calls echo)" "the backend saw none of the refused requests"

# With --allow-unknown-fields the unknown field goes through (the other errors stay errors).
req POST "$URL_UNKNOWN/v1/echo" -d '{"fInt32":1,"noSuchField":2}'
expect_eq 200 "$STATUS" "unknown field accepted with --allow-unknown-fields"
expect_eq '{"fInt32":1}' "$BODY" "unknown field dropped"
req POST "$URL_UNKNOWN/v1/echo" -d '{"fInt32":"abc"}'
expect_eq 400 "$STATUS" "a wrong type is still 400 with --allow-unknown-fields"

# The gateway that took every case above stops cleanly (in a sanitizer build, LeakSanitizer runs at
# exit and a leak makes the exit status non-zero).
stop gw >"$WORK/stop.code"   # not in $(...): wait needs the parent shell
st=$(cat "$WORK/stop.code")
expect_eq 0 "$st" "the gateway exits 0 on SIGTERM after all the cases"
if grep -q 'Sanitizer' "$(log_of gw)"; then fail "sanitizer report: $(grep -m3 -A5 'Sanitizer' "$(log_of gw)")"; fi
echo "ok - no sanitizer report from the gateway"
