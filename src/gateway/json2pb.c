/* json2pb.c: placeholder until the module lands. */
