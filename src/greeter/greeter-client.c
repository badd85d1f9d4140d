/* greeter-server.c: placeholder until the greeter lands. */
int main(void) { return 2; }
