/* main.c: grpc-json-gateway start-up (placeholder until the front end lands). */
#include <stdio.h>
int main(void) { fputs("grpc-json-gateway: not built yet\n", stderr); return 2; }
