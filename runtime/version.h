/* version.h - hh's version, shown by `hh version` and sent as User-Agent. */
#ifndef HH_VERSION_H
#define HH_VERSION_H

#define HH_VERSION "0.1.0"

#endif
