/* descpool.c: placeholder until the module lands. */
