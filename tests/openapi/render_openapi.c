/* render_openapi.c: prints the gateway's OpenAPI document for the given descriptor sets, as
 * GET /openapi.json would serve it (a test helper for tests/e2e/openapi_validate.sh).
 *   render_openapi [--proto-names] [--enums-as-ints] DESCRIPTOR_SET...
 * Exit status: 0 printed, 1 the descriptors, routes or document failed, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "descpool.h"
#include "openapi.h"
#include "router.h"

int main(int argc, char **argv)
{
    json_opts o = {0};
    descpool *pool = descpool_new();
    router *r = router_new();
    gw_err *e = NULL;
    int n_sets = 0, status = 0;
    for (int i = 1; i < argc && !e; i++) {
        if (!strcmp(argv[i], "--proto-names")) o.proto_names = true;
        else if (!strcmp(argv[i], "--enums-as-ints")) o.enums_as_ints = true;
        else if (!strncmp(argv[i], "--", 2)) {
            fprintf(stderr, "render_openapi: unknown option '%s'\n", argv[i]);
            status = 2;
            goto done;
        } else {
            e = descpool_add_file(pool, argv[i]);
            n_sets++;
        }
    }
    if (!n_sets && !e) {
        fprintf(stderr, "usage: render_openapi [--proto-names] [--enums-as-ints] DESCRIPTOR_SET...\n");
        status = 2;
        goto done;
    }
    if (!e) e = descpool_finish(pool);
    if (!e) e = router_add_pool(r, pool);
    buf out = BUF_INIT;
    if (!e) e = openapi_render(pool, r, &o, &out);
    if (e) {
        fprintf(stderr, "render_openapi: %s\n", e->message);
        gw_err_free(e);
        status = 1;
    } else {
        fwrite(out.data, 1, out.len, stdout);
    }
    buf_free(&out);
done:
    router_free(r);
    descpool_free(pool);
    return status;
}
