/* bind.h: placeholder until the module lands. */
