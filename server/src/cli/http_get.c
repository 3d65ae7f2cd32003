/*
 * The command-line tool's HTTP client for the control API (`p2sgw health`,
 * `p2sgw report`): one blocking request with a timeout. Part of the main
 * layer: the gateway itself never makes these requests.
 */
#include "cli/http_get.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/addr.h"

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { fd, ev, 0 };
	int n;
	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	return n;
}

#define CTL_GET_MAX (64u << 20) /* cap on a response read by control_get */

int
control_get(const char *addr, const char *token, const char *path, int timeout_ms,
    char **body, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char req[1024];
	char *resp = NULL;
	size_t got = 0, cap = 0;

	*body = NULL;
	if (addr_parse_hostport(addr, &ss, &len, err, errlen) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS)
		goto syserr;
	if (wait_fd(fd, POLLOUT, timeout_ms) <= 0) {
		snprintf(err, errlen, "%s: no answer within %d ms", addr, timeout_ms);
		goto fail;
	}
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr != 0) {
		errno = soerr;
		goto syserr;
	}
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: p2sgw\r\n%s%s%s\r\n", path,
	    token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(err, errlen, "request too long");
		goto fail;
	}
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto syserr;
	for (;;) {
		if (cap - got < 4096) {
			if (cap >= CTL_GET_MAX) {
				snprintf(err, errlen, "%s: answer larger than %u bytes", addr, CTL_GET_MAX);
				goto fail;
			}
			size_t ncap = cap ? cap * 2 : 16384;
			char *nr = realloc(resp, ncap + 1);
			if (nr == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			resp = nr;
			cap = ncap;
		}
		if (wait_fd(fd, POLLIN, timeout_ms) <= 0) {
			snprintf(err, errlen, "%s: no answer within %d ms", addr, timeout_ms);
			goto fail;
		}
		ssize_t r = recv(fd, resp + got, cap - got, 0);
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			goto syserr;
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
	}
	close(fd);
	fd = -1;
	if (resp == NULL) {
		snprintf(err, errlen, "%s answered nothing", addr);
		return -1;
	}
	resp[got] = '\0';
	char *sep = strstr(resp, "\r\n\r\n");
	if (strncmp(resp, "HTTP/1.", 7) != 0 || got < 12 || sep == NULL) {
		snprintf(err, errlen, "%s: not an HTTP answer", addr);
		goto fail;
	}
	if (strncmp(resp + 8, " 200", 4) != 0) {
		char *eol = strpbrk(resp, "\r\n");
		*eol = '\0';
		snprintf(err, errlen, "%s answered '%.100s': %.300s", addr, resp, sep + 4);
		goto fail;
	}
	memmove(resp, sep + 4, got - (size_t)(sep + 4 - resp) + 1);
	*body = resp;
	return 0;
syserr:
	snprintf(err, errlen, "%s: %s", addr, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	free(resp);
	return -1;
}

int
control_health_check(const char *addr, const char *token, int timeout_ms, char *err, size_t errlen)
{
	char *body = NULL;
	int rc = control_get(addr, token, "/health", timeout_ms, &body, err, errlen);
	free(body);
	return rc;
}
