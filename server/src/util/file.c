#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_all(const char *path, size_t max, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	*bufp = NULL;
	*lenp = 0;
	/* O_NONBLOCK: a FIFO must not block open(); fstat rejects it next. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? 1 : -1;
	}
	if (fstat(fd, &st) != 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		(void)snprintf(err, errlen, "%s: too large (%jd bytes, limit %zu)", path,
		    (intmax_t)st.st_size, max);
		goto fail;
	}
	/* One byte more than the cap, to notice a file that grew meanwhile. */
	if ((buf = malloc(max + 2)) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			(void)snprintf(err, errlen, "%s: too large (limit %zu bytes)", path, max);
			goto fail;
		}
	}
	buf[len] = '\0';
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}
