#include "net/tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void
set_sin(struct sockaddr *sa, uint32_t host_order)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(host_order);
	memcpy(sa, &sin, sizeof(sin));
}

int
tun_open(const char *name, uint32_t gateway_ip, uint8_t prefix, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = -1, s = -1;
	const char *step = "open /dev/net/tun";

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		goto fail;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	step = "create the TUN device";
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		goto fail;
	step = "configure the TUN device";
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	set_sin(&ifr.ifr_addr, gateway_ip);
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		goto fail;
	set_sin(&ifr.ifr_netmask, prefix == 0 ? 0 : 0xffffffffu << (32 - prefix));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
		goto fail;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		goto fail;
	close(s);
	return fd;
fail:
	snprintf(err, errlen, "network.backend tun: cannot %s %s: %s%s", step, name, strerror(errno),
	    errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	if (s >= 0)
		close(s);
	if (fd >= 0)
		close(fd);
	return -1;
}
