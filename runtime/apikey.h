/* apikey.h - loading the API key (apikey.c). */
#ifndef HH_APIKEY_H
#define HH_APIKEY_H

#include <stddef.h>

/* The key, malloc'd; NULL with a message in err (never containing the key). */
char *apikey_load(char *err, size_t errlen);

#endif
