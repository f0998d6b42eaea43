/* fs_copy.h - hh.fs's whole-file copy and permission bits (fs_copy.c). */
#ifndef HH_FS_COPY_H
#define HH_FS_COPY_H

#include <lua.h>

/* fs.copy_atomic(from, to [, mode]) -> true, or nil and a message. */
int fs_l_copy_atomic(lua_State *L);
/* fsyncs the directory holding path, so a rename into it survives a crash. */
void fs_sync_parent(const char *path);
/* fs.mode(path) -> the permission bits (e.g. 0600) and the owner's uid, or nil and a message. */
int fs_l_mode(lua_State *L);

#endif
