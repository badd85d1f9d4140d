/* jsonsplit.c: placeholder until the module lands. */
