#!/usr/bin/python3
# kitchen_oracle.py: Python protobuf's json_format as the reference for the gateway's JSON, in the
# end-to-end tests (tests/e2e/gateway_kitchen.sh and friends).
#
#   kitchen_oracle.py DESCRIPTOR_SET TYPE DIR [--emit-defaults] [--proto-names] [--enums-as-ints]
#                     [--allow-unknown]
#
# DIR holds one case per number N, written by the shell test after it ran the case through the
# gateway in front of the echo backend:
#   N.name    what the case is about
#   N.in      the JSON request body
#   N.status  the HTTP status the gateway answered
#   N.out     the response body (the echo returns the request, so this is the gateway's JSON of the
#             message it encoded from N.in)
#   N.rt      optional: the response when N.out itself was sent as the request (round trip)
# For each case Python parses N.in as TYPE and renders its canonical JSON with the same options; the
# gateway's answer must be 200 and the same JSON value: the same members with the same values and
# JSON types (64-bit integers as strings, enums as names, ...). Member order is not compared (maps
# are printed sorted by key by the gateway and in Python's own order), and numbers are compared as
# numbers, so "1e+21" and "1e21" or "1.0" and "1" are equal. N.rt, when present, must equal N.out
# exactly: the canonical form reads back to itself.
#
# Documented divergences are accounted for before comparing (adjust()):
# - float fields: the gateway prints the shortest decimal that reads back as the same float32;
#   Python prints at least 6 significant digits (1.4013e-45 where the gateway prints 1e-45). The
#   oracle rewrites Python's float values in the shortest form (a wrong value still differs).
# - a google.protobuf.NullValue field prints as null, also with --enums-as-ints (as protojson and
#   C++ do); Python prints 0 there.
# - with --emit-defaults the gateway prints an unset singular message field as null (as protojson's
#   EmitUnpopulated does), where Python leaves it out; the oracle adds those nulls. (Python also
#   prints unset proto2 scalars with their defaults under that option; the gateway does not: the
#   emit-defaults cases avoid proto2.)
#
# With --wire MEMBER the cases are wire data instead: N.in is a JSON object whose MEMBER holds TYPE's
# protobuf bytes in base64 (a request the echo backend turns into an answer of TYPE); Python reads
# the bytes and renders them, and where Python cannot (malformed data, a value JSON cannot carry)
# the gateway must answer 500 INTERNAL.
#
# Prints "ok - NAME" or "not ok - NAME: why" per case; exits 1 when a case fails.
import base64
import json
import math
import os
import struct
import sys
import warnings

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, json_format, message_factory

WKT_PACKAGE = 'google.protobuf.'


def load(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, 'rb') as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return pool, message_factory.MessageFactory(pool)


FLT_MAX = float.fromhex('0x1.fffffep+127')
FLT_OVERFLOW = float.fromhex('0x1.ffffffp+127')   # from here on, rounding to float32 gives infinity


def to_float32(x):
    """x rounded to the nearest float32 (struct refuses the values that round down to FLT_MAX)."""
    if abs(x) >= FLT_OVERFLOW:
        return math.copysign(math.inf, x)
    if abs(x) > FLT_MAX:
        return math.copysign(FLT_MAX, x)
    return struct.unpack('<f', struct.pack('<f', x))[0]


def shortest_float32(v):
    """The shortest decimal that reads back as the same float32 (the gateway's form; Python prints
    float fields with at least 6 significant digits, e.g. 1.4013e-45 for 1e-45)."""
    if not isinstance(v, float) or math.isnan(v) or math.isinf(v):
        return v
    f = to_float32(v)
    for digits in range(1, 10):
        text = '%.*g' % (digits, f)
        if to_float32(float(text)) == f:
            return float(text)
    return f


def is_float_field(field):
    return field.cpp_type == descriptor.FieldDescriptor.CPPTYPE_FLOAT


def is_null_value_field(field):
    return field.enum_type is not None and field.enum_type.full_name == 'google.protobuf.NullValue'


def adjust(pool, factory, msg, obj, opts):
    """Brings Python's rendering `obj` of `msg` to the gateway's documented form:
    float fields (also in FloatValue and inside Any) in their shortest form, and, with
    --emit-defaults, `name: null` for each unset singular message field outside a oneof (in
    regular messages, not inside well-known types). Returns the adjusted value."""
    full = msg.DESCRIPTOR.full_name
    if full == 'google.protobuf.FloatValue':
        return shortest_float32(obj)
    if full == 'google.protobuf.Any':
        if not isinstance(obj, dict) or not msg.type_url:
            return obj
        inner = factory.GetPrototype(pool.FindMessageTypeByName(msg.type_url.split('/')[-1]))()
        inner.MergeFromString(msg.value)
        if 'value' in obj and inner.DESCRIPTOR.full_name.startswith(WKT_PACKAGE) and \
                inner.DESCRIPTOR.full_name != 'google.protobuf.Empty':
            obj['value'] = adjust(pool, factory, inner, obj['value'], opts)
            return obj
        body = {k: v for k, v in obj.items() if k != '@type'}
        body = adjust(pool, factory, inner, body, opts)
        body['@type'] = obj['@type']
        return body
    if not isinstance(obj, dict) or full.startswith(WKT_PACKAGE):
        return obj
    for field in msg.DESCRIPTOR.fields:
        name = field.name if opts['proto_names'] else field.json_name
        is_message = field.cpp_type == descriptor.FieldDescriptor.CPPTYPE_MESSAGE
        if is_message and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name['value']
            entries = getattr(msg, field.name)
            for key in entries:
                jkey = str(key).lower() if isinstance(key, bool) else str(key)
                if name not in obj or jkey not in obj[name]:
                    continue
                if value_field.cpp_type == descriptor.FieldDescriptor.CPPTYPE_MESSAGE:
                    obj[name][jkey] = adjust(pool, factory, entries[key], obj[name][jkey], opts)
                elif is_float_field(value_field):
                    obj[name][jkey] = shortest_float32(obj[name][jkey])
        elif field.label == descriptor.FieldDescriptor.LABEL_REPEATED:
            if name not in obj:
                continue
            items = getattr(msg, field.name)
            if is_message:
                obj[name] = [adjust(pool, factory, m, o, opts) for m, o in zip(items, obj[name])]
            elif is_float_field(field):
                obj[name] = [shortest_float32(o) for o in obj[name]]
        elif name in obj:
            if is_message:
                obj[name] = adjust(pool, factory, getattr(msg, field.name), obj[name], opts)
            elif is_float_field(field):
                obj[name] = shortest_float32(obj[name])
            elif is_null_value_field(field):
                obj[name] = None
        elif is_message and opts['emit_defaults'] and field.containing_oneof is None:
            obj[name] = None
    return obj


def same_json(a, b):
    """JSON values equal as values: same types (bool is not a number, a string is not a number),
    numbers compared numerically, objects regardless of member order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def differences(a, b, where='', limit=5):
    """Where two JSON values differ (paths), for the failure message."""
    if same_json(a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append('%s.%s: %s' % (where, k, 'only in the gateway' if k in b else 'missing in the gateway'))
            else:
                out += differences(a[k], b[k], '%s.%s' % (where, k), limit)
            if len(out) >= limit:
                break
        return out[:limit]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, '%s[%d]' % (where, i), limit)
        return out[:limit]
    return ['%s: python %s, gateway %s' % (where or '.', json.dumps(a), json.dumps(b))]


def read(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', errors='replace')


def internal_error(status, out, why):
    """A case Python cannot parse or render as wire data: the gateway must answer 500 INTERNAL."""
    if status == '500' and json.loads(out).get('code') == 13:
        return None
    return '%s: Python fails (%s), so a 500 INTERNAL is expected; the gateway answered %s %s' % (
        'wire data', why, status, out)


def check_case(pool, factory, type_name, opts, base):
    msg = factory.GetPrototype(pool.FindMessageTypeByName(type_name))()
    text = read(base + '.in')
    status = read(base + '.status').strip()
    out = read(base + '.out')
    if opts['wire']:
        # The request holds TYPE's wire bytes in base64 under this member; the answer renders them.
        try:
            # Python stops at a field number 0 ("end-group tag") and only warns: that is a failure.
            with warnings.catch_warnings():
                warnings.simplefilter('error', RuntimeWarning)
                msg.MergeFromString(base64.b64decode(json.loads(text)[opts['wire']]))
        except Exception as e:
            return internal_error(status, out, e)
    else:
        try:
            json_format.Parse(text, msg, ignore_unknown_fields=opts['allow_unknown'], descriptor_pool=pool)
        except Exception as e:
            return 'Python refuses the input %s: %s' % (text, e)
    try:
        expected_text = json_format.MessageToJson(
            msg, including_default_value_fields=opts['emit_defaults'],
            preserving_proto_field_name=opts['proto_names'], use_integers_for_enums=opts['enums_as_ints'],
            descriptor_pool=pool, indent=None)
    except Exception as e:
        if opts['wire']:
            return internal_error(status, out, e)
        return 'Python cannot render the message of %s: %s' % (text, e)
    expected = json.loads(expected_text)
    expected = adjust(pool, factory, msg, expected, opts)
    if status != '200':
        return 'HTTP %s for %s: %s' % (status, text, out)
    try:
        got = json.loads(out)
    except ValueError as e:
        return 'the gateway answered invalid JSON %r: %s' % (out, e)
    if not same_json(expected, got):
        return 'input %s\n    %s\n    gateway %s' % (text, '\n    '.join(differences(expected, got)), out)
    if os.path.exists(base + '.rt'):
        rt = read(base + '.rt')
        if rt != out:
            return 'round trip of %s\n    first  %s\n    second %s' % (text, out, rt)
    return None


def main():
    argv = sys.argv[1:]
    wire = None
    if '--wire' in argv[:-1]:
        i = argv.index('--wire')
        wire = argv[i + 1]
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith('--')]
    flags = set(a for a in argv if a.startswith('--'))
    known = {'--emit-defaults', '--proto-names', '--enums-as-ints', '--allow-unknown'}
    if len(args) != 3 or flags - known:
        sys.stderr.write('usage: kitchen_oracle.py DESCRIPTOR_SET TYPE DIR [%s] [--wire MEMBER]\n' %
                         '] ['.join(sorted(known)))
        return 2
    desc, type_name, directory = args
    opts = {'emit_defaults': '--emit-defaults' in flags, 'proto_names': '--proto-names' in flags,
            'enums_as_ints': '--enums-as-ints' in flags, 'allow_unknown': '--allow-unknown' in flags,
            'wire': wire}
    pool, factory = load(desc)
    numbers = sorted(int(f[:-3]) for f in os.listdir(directory) if f.endswith('.in'))
    if not numbers:
        sys.stderr.write('kitchen_oracle.py: no cases in %s\n' % directory)
        return 1
    failed = 0
    label = ' '.join(sorted(flags)) or 'default options'
    for n in numbers:
        base = os.path.join(directory, str(n))
        name = read(base + '.name').strip()
        why = check_case(pool, factory, type_name, opts, base)
        if why:
            failed += 1
            print('not ok - %s (%s): %s' % (name, label, why))
        else:
            print('ok - %s (%s)' % (name, label))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
