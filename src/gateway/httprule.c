/* httprule.c: placeholder until the module lands. */
