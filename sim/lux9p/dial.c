/* Dial strings to connected sockets (see dial.h). */
#include "dial.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void dial_default(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg && *xdg)
		snprintf(out, cap, "unix!%s/lux9/luxsim.sock", xdg);
	else
		snprintf(out, cap, "unix!/tmp/luxsim-%u/9p.sock", (unsigned)getuid());
}

static int dial_unix(const char *addr, const char *path, char *err, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path || !*path) {
		snprintf(err, cap, "bad address %s: socket path empty or longer than %zu bytes",
		         addr, sizeof sun.sun_path - 1);
		return DIAL_BADADDR;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		snprintf(err, cap, "cannot connect to %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DIAL_FAILED;
	}
	return fd;
}

/* host!port: the host may be a name, an IPv4 or an IPv6 address; the
 * last '!' separates the port, so an IPv6 address needs no brackets. */
static int dial_tcp(const char *addr, const char *hostport, char *err, size_t cap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char host[256];
	const char *bang = strrchr(hostport, '!');
	const char *port = bang ? bang + 1 : "564";	/* 9P's registered port */
	size_t hlen = bang ? (size_t)(bang - hostport) : strlen(hostport);
	int fd = -1, r, one = 1, saved = 0;

	if (hlen == 0 || hlen >= sizeof host || !*port) {
		snprintf(err, cap, "bad address %s: want tcp!HOST!PORT", addr);
		return DIAL_BADADDR;
	}
	memcpy(host, hostport, hlen);
	host[hlen] = 0;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, cap, "cannot connect to %s: %s", addr, gai_strerror(r));
		return DIAL_FAILED;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, cap, "cannot connect to %s: %s", addr, strerror(saved));
		return DIAL_FAILED;
	}
	/* 9P is request/response: do not let Nagle hold a small T-message. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int dial(const char *addr, char *err, size_t cap)
{
	if (strncmp(addr, "unix!", 5) == 0)
		return dial_unix(addr, addr + 5, err, cap);
	if (strncmp(addr, "tcp!", 4) == 0)
		return dial_tcp(addr, addr + 4, err, cap);
	if (addr[0] == '/')
		return dial_unix(addr, addr, err, cap);
	snprintf(err, cap, "bad address '%s': want unix!PATH or tcp!HOST!PORT", addr);
	return DIAL_BADADDR;
}
