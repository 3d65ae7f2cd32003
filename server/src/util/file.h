/* Reading a whole file, with a cap. */
#ifndef P2SGW_UTIL_FILE_H
#define P2SGW_UTIL_FILE_H

#include <stddef.h>

/*
 * Read the regular file path, at most max bytes, into *buf (malloc'd, NUL
 * terminated; the NUL is not counted in *len). 0 read; 1 the file does not
 * exist (err says so); -1 any other failure, with err naming path: not a
 * regular file (a FIFO does not block), larger than max (also when it grows
 * while being read), or an I/O error.
 */
int file_read_all(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen);

#endif
