#!/usr/bin/python3
# transcode_oracle.py: Python protobuf's json_format as a reference for tests/unit/test_transcode.c.
#
# Usage: transcode_oracle.py DESCRIPTOR_SET < requests > answers
# One JSON request per line, one JSON answer per line, in order:
#   {"op": "check", "type": T, "json": TEXT, "ours": HEX|null, "opts": {...}}
#       Python parses TEXT as T. Answers {"py_ok": bool, "py_error": str, "same": bool,
#       "py_hex": HEX, "py_json": TEXT}: "same" tells whether the message our encoder produced
#       (HEX "ours") equals Python's (compared canonically: map order, Any payload order and field
#       order do not matter); "py_json" is Python's rendering of its message with the options.
#   {"op": "render", "type": T, "hex": HEX, "opts": {...}}
#       Answers {"ok": bool, "json": TEXT, "error": str}: Python's rendering of the bytes.
# opts: emit_defaults, proto_names, enums_as_ints, allow_unknown (booleans).
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

ANY = 'google.protobuf.Any'


def load(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, 'rb') as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return pool, message_factory.MessageFactory(pool)


def new_message(pool, factory, name):
    return factory.GetPrototype(pool.FindMessageTypeByName(name))()


def canonical(pool, factory, msg):
    """Re-encodes every Any payload deterministically, so messages that differ only in the field
    order inside an Any compare equal."""
    if msg.DESCRIPTOR.full_name == ANY and msg.type_url:
        name = msg.type_url.split('/')[-1]
        try:
            inner = new_message(pool, factory, name)
        except KeyError:
            return
        inner.MergeFromString(msg.value)
        canonical(pool, factory, inner)
        msg.value = inner.SerializePartialToString(deterministic=True)
        return
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name['value']
            if value_field.message_type is not None:
                for key in value:
                    canonical(pool, factory, value[key])
        elif field.label == field.LABEL_REPEATED:
            for item in value:
                canonical(pool, factory, item)
        else:
            canonical(pool, factory, value)


def render(pool, msg, opts):
    return json_format.MessageToJson(
        msg, including_default_value_fields=bool(opts.get('emit_defaults')),
        preserving_proto_field_name=bool(opts.get('proto_names')),
        use_integers_for_enums=bool(opts.get('enums_as_ints')),
        descriptor_pool=pool, indent=None)


def check(pool, factory, req):
    opts = req.get('opts') or {}
    answer = {'py_ok': False, 'py_error': '', 'same': False, 'py_hex': '', 'py_json': ''}
    py = new_message(pool, factory, req['type'])
    try:
        json_format.Parse(req['json'], py, ignore_unknown_fields=bool(opts.get('allow_unknown')),
                          descriptor_pool=pool)
    except Exception as e:  # json_format raises ParseError, and ValueError/TypeError on odd input
        answer['py_error'] = '%s: %s' % (type(e).__name__, e)
        return answer
    answer['py_ok'] = True
    answer['py_hex'] = py.SerializePartialToString().hex()
    try:
        answer['py_json'] = render(pool, py, opts)
    except Exception as e:
        answer['py_json'] = None
        answer['py_error'] = 'render: %s' % e
    if req.get('ours') is not None:
        ours = new_message(pool, factory, req['type'])
        ours.MergeFromString(bytes.fromhex(req['ours']))
        canonical(pool, factory, ours)
        canonical(pool, factory, py)
        a = ours.SerializePartialToString(deterministic=True)
        b = py.SerializePartialToString(deterministic=True)
        answer['same'] = a == b
        if a != b:
            answer['ours_text'] = str(ours)
            answer['py_text'] = str(py)
    return answer


def render_op(pool, factory, req):
    msg = new_message(pool, factory, req['type'])
    try:
        msg.MergeFromString(bytes.fromhex(req['hex']))
        return {'ok': True, 'json': render(pool, msg, req.get('opts') or {})}
    except Exception as e:
        return {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}


def main():
    pool, factory = load(sys.argv[1])
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req['op'] == 'check':
            answer = check(pool, factory, req)
        elif req['op'] == 'render':
            answer = render_op(pool, factory, req)
        else:
            answer = {'error': 'unknown op %r' % req['op']}
        sys.stdout.write(json.dumps(answer) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
