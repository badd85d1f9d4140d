/* pbwire.h: placeholder until the module lands. */
