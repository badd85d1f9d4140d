/* pb2json.c: placeholder until the module lands. */
