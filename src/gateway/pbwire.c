/* pbwire.c: placeholder until the module lands. */
