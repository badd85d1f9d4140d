/* httprule.h: placeholder until the module lands. */
