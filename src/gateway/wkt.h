/* wkt.h: placeholder until the module lands. */
