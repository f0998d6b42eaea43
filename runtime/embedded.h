/* embedded.h - the Lua library compiled into the hh binary (see tools/embed.c). */
#ifndef HH_EMBEDDED_H
#define HH_EMBEDDED_H

#include <stddef.h>

struct embedded_module {
    const char *name;       /* "hh.recipe" */
    const char *chunkname;  /* "@lua/hh/recipe.lua" */
    const char *source;
    size_t len;
};

extern const struct embedded_module embedded_modules[];

#endif
