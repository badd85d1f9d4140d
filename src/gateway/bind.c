/* bind.c: placeholder until the module lands. */
