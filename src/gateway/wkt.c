/* wkt.c: placeholder until the module lands. */
