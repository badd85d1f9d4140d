/* pathtmpl.c: placeholder until the module lands. */
