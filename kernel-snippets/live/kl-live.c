/*
 * kl-live: the program Kernel Lens runs on a real Linux kernel under gdb (issue 7).
 *
 * It is the init's only job inside the guest, so everything it does is one TCP conversation
 * over 127.0.0.1, and every line it prints is read back by the run:
 *
 *   kl-live handshake   server: socket, bind, listen, (fork a client), accept4, read, close
 *                       client: socket, connect, write "hello", close
 *   kl-live refused     client: socket, connect to a port nobody listens on (ECONNREFUSED)
 *   kl-live backlog     server: socket, bind, listen(fd, 1) and never accepts; client: three
 *                       non-blocking connects, then reports which completed within 3 s
 *
 * Built with `gcc -static` (the guest has no libc), run as /kl-live by the initramfs /init.
 * The task name (comm) "kl-live" is what the syscall breakpoints are filtered on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT 5555
#define CLOSED_PORT 5556

static void say(const char *who, const char *what, int rc)
{
	if (rc < 0)
		printf("kl-live: %s %s = -1 (%s)\n", who, what, strerror(errno));
	else
		printf("kl-live: %s %s = %d\n", who, what, rc);
	fflush(stdout);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* socket, bind, listen: the server half every variant with a listener shares. */
static int listener(int backlog)
{
	struct sockaddr_in a = loopback(PORT);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	say("server", "socket", fd);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	say("server", "bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	say("server", "listen", listen(fd, backlog));
	return fd;
}

static int client(int port)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int rc;

	say("client", "socket", fd);
	if (fd < 0)
		return 1;
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	say("client", "connect", rc);
	if (rc == 0)
		say("client", "write", (int)write(fd, "hello", 5));
	close(fd);
	return rc == 0 ? 0 : 1;
}

static int handshake(void)
{
	char buf[16];
	int status = 0;
	int fd = listener(8);
	pid_t pid;
	int conn;

	if (fd < 0)
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(client(PORT));
	conn = accept4(fd, NULL, NULL, 0);
	say("server", "accept4", conn);
	if (conn >= 0) {
		ssize_t n = read(conn, buf, sizeof(buf));

		say("server", "read", (int)n);
		close(conn);
	}
	close(fd);
	waitpid(pid, &status, 0);
	printf("kl-live: done (client exit %d)\n", WEXITSTATUS(status));
	return 0;
}

static int backlog(void)
{
	struct pollfd p[3];
	int fd = listener(1);
	int i;

	if (fd < 0)
		return 1;
	for (i = 0; i < 3; i++) {
		struct sockaddr_in a = loopback(PORT);

		p[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		p[i].events = POLLOUT;
		say("client", "socket", p[i].fd);
		say("client", "connect", connect(p[i].fd, (struct sockaddr *)&a, sizeof(a)));
	}
	/* A connect whose SYN or final ACK the full queue dropped stays in progress. */
	poll(p, 3, 3000);
	for (i = 0; i < 3; i++) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
		printf("kl-live: client %d %s\n", i,
		       (p[i].revents & POLLOUT) && !err ? "connected" : "still connecting");
		close(p[i].fd);
	}
	close(fd);
	printf("kl-live: done\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "handshake";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "handshake") == 0)
		return handshake();
	if (strcmp(mode, "refused") == 0) {
		int rc = client(CLOSED_PORT);

		printf("kl-live: done\n");
		return rc == 1 ? 0 : 1;
	}
	if (strcmp(mode, "backlog") == 0)
		return backlog();
	fprintf(stderr, "kl-live: unknown mode %s (handshake, refused, backlog)\n", mode);
	return 2;
}
