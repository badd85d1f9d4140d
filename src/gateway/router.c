/* router.c: placeholder until the module lands. */
