/* pathtmpl.h: placeholder until the module lands. */
