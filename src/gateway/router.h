/* router.h: placeholder until the module lands. */
