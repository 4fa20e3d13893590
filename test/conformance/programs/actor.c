/*
 * One host's side of a conformance scenario: a small interpreter that performs the socket
 * calls named on its command line, in order, with real sockets, and prints one JSON line per
 * call (what it did, what it returned, the errno name, and the CLOCK_REALTIME time in us,
 * the clock tcpdump stamps packets with).
 *
 *   kl-actor T0_US ACTION...
 *
 * Sockets are named (a letter or word) so a script can hold a listener and accepted sockets.
 * A failed call ends the program (its sockets closed by exit(), as the simulator's programs
 * do) unless the action starts with '?', which goes on (the model's on_error: continue).
 * Actions (fields separated by ':'):
 *   at:MS                 sleep until T0 + MS (how scenarios place calls on a shared clock)
 *   socket:S              socket(AF_INET, SOCK_STREAM, 0)
 *   nonblock:S            fcntl(O_NONBLOCK)
 *   reuseaddr:S           setsockopt(SO_REUSEADDR, 1)
 *   syncnt:S:N            setsockopt(TCP_SYNCNT, N)
 *   bind:S:IP:PORT        bind
 *   source:S:IP           the test harness's own bind(IP:0) with IP_BIND_ADDRESS_NO_PORT, so
 *                         client2, client3... (extra addresses in one namespace) send from
 *                         their own address while the port is still chosen at connect(), as
 *                         for an unbound socket. Printed with "harness":true, not compared.
 *   listen:S:N            listen(N)
 *   accept:S:NEW:MS       accept, bounded by SO_RCVTIMEO of MS (EAGAIN when it runs out)
 *   connect:S:IP:PORT     connect (blocking or not, as the socket is)
 *   poll:S:MS[:EVENTS]    poll(EVENTS: POLLOUT, the default, or POLLIN) for at most MS;
 *                         result = number ready, revents listed
 *   soerror:S             getsockopt(SO_ERROR); the pending error's name is printed as "value"
 *   send:S:TEXT           send(TEXT) with MSG_NOSIGNAL, so EPIPE is a result, not a signal
 *   recv:S:N:MS           recv up to N bytes, bounded by SO_RCVTIMEO of MS
 *   close:S               close
 *   hold:MS               keep every socket open for MS more (the runner snapshots meanwhile)
 *
 * Every wait is bounded: blocking connect is bounded by the kernel's own SYN retries, which
 * scenarios keep small (TCP_SYNCNT), and the runner kills the process at its deadline.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS 64

struct named_sock {
    char name[32];
    int fd;
};

static struct named_sock socks[MAX_SOCKS];
static int nsocks;
static long long t0_us;
static int last_failed; /* the last reported call returned < 0 */

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *arg) {
    fprintf(stderr, "kl-actor: %s: %s\n", what, arg);
    exit(2);
}

static int lookup(const char *name) {
    for (int i = 0; i < nsocks; i++)
        if (strcmp(socks[i].name, name) == 0) return socks[i].fd;
    die("unknown socket", name);
    return -1;
}

static void remember(const char *name, int fd) {
    for (int i = 0; i < nsocks; i++)
        if (strcmp(socks[i].name, name) == 0) {
            socks[i].fd = fd;
            return;
        }
    if (nsocks == MAX_SOCKS) die("too many sockets", name);
    snprintf(socks[nsocks].name, sizeof socks[nsocks].name, "%s", name);
    socks[nsocks++].fd = fd;
}

/* The errno's symbolic name ("ECONNREFUSED"), which is what the simulator reports too. */
static const char *errname(int err) {
    const char *n = strerrorname_np(err);
    return n ? n : "E?";
}

/* Prints one call. `extra` is already-formatted JSON members (may be empty). */
static void report(const char *call, const char *sock, long result, int err, const char *extra) {
    last_failed = result < 0;
    printf("{\"t_us\":%lld,\"pid\":%d,\"call\":\"%s\",\"sock\":\"%s\",\"result\":%ld", now_us(),
           (int)getpid(), call, sock, result);
    if (result < 0) printf(",\"errno\":\"%s\"", errname(err));
    if (extra && *extra) printf(",%s", extra);
    printf("}\n");
    fflush(stdout);
}

static struct sockaddr_in parse_addr(const char *ip, const char *port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(port));
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) die("bad address", ip);
    return a;
}

static void set_timeout(int fd, int ms) {
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* The local and peer address of a socket, as JSON members, so the runner can tie calls to
 * the segments in the capture. */
static void endpoints(int fd, char *out, size_t len) {
    struct sockaddr_in l, p;
    socklen_t ll = sizeof l, pl = sizeof p;
    char lb[INET_ADDRSTRLEN] = "", pb[INET_ADDRSTRLEN] = "";
    int lp = 0, pp = 0;
    if (getsockname(fd, (struct sockaddr *)&l, &ll) == 0) {
        inet_ntop(AF_INET, &l.sin_addr, lb, sizeof lb);
        lp = ntohs(l.sin_port);
    }
    if (getpeername(fd, (struct sockaddr *)&p, &pl) == 0) {
        inet_ntop(AF_INET, &p.sin_addr, pb, sizeof pb);
        pp = ntohs(p.sin_port);
    }
    snprintf(out, len, "\"local\":\"%s:%d\",\"peer\":\"%s:%d\"", lb, lp, pb, pp);
}

/* Splits "a:b:c" in place into at most `max` fields; returns how many. */
static int split(char *s, char **f, int max) {
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == ':') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static void need(int n, int want, const char *action) {
    if (n < want) die("too few fields", action);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage", "kl-actor T0_US ACTION...");
    t0_us = atoll(argv[1]);
    char extra[256];

    for (int i = 2; i < argc; i++) {
        char *f[6];
        int go_on = argv[i][0] == '?';
        char *copy = strdup(argv[i] + go_on);
        int n = split(copy, f, 6);
        const char *a = f[0];
        long r;
        int err;

        if (strcmp(a, "at") == 0) {
            need(n, 2, argv[i]);
            long long due = t0_us + atoll(f[1]) * 1000LL;
            long long wait = due - now_us();
            if (wait > 0) usleep((useconds_t)wait);
            /* How late the program woke up: the runner reports a slipped schedule (a loaded
             * machine), which explains timing differences with the model. */
            printf("{\"t_us\":%lld,\"pid\":%d,\"call\":\"at\",\"late_us\":%lld,\"harness\":true}\n",
                   now_us(), (int)getpid(), now_us() - due);
            fflush(stdout);
        } else if (strcmp(a, "hold") == 0) {
            need(n, 2, argv[i]);
            usleep((useconds_t)(atoll(f[1]) * 1000LL));
        } else if (strcmp(a, "socket") == 0) {
            need(n, 2, argv[i]);
            r = socket(AF_INET, SOCK_STREAM, 0);
            err = errno;
            if (r >= 0) remember(f[1], (int)r);
            report("socket", f[1], r, err, "");
        } else if (strcmp(a, "nonblock") == 0) {
            need(n, 2, argv[i]);
            int fd = lookup(f[1]);
            r = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            err = errno;
            report("fcntl", f[1], r, err, "\"arg\":\"O_NONBLOCK\"");
        } else if (strcmp(a, "reuseaddr") == 0) {
            need(n, 2, argv[i]);
            int one = 1;
            r = setsockopt(lookup(f[1]), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            err = errno;
            report("setsockopt", f[1], r, err, "\"opt\":\"SO_REUSEADDR\",\"arg\":1");
        } else if (strcmp(a, "syncnt") == 0) {
            need(n, 3, argv[i]);
            int cnt = atoi(f[2]);
            r = setsockopt(lookup(f[1]), IPPROTO_TCP, TCP_SYNCNT, &cnt, sizeof cnt);
            err = errno;
            snprintf(extra, sizeof extra, "\"opt\":\"TCP_SYNCNT\",\"arg\":%d", cnt);
            report("setsockopt", f[1], r, err, extra);
        } else if (strcmp(a, "bind") == 0) {
            need(n, 4, argv[i]);
            struct sockaddr_in sa = parse_addr(f[2], f[3]);
            r = bind(lookup(f[1]), (struct sockaddr *)&sa, sizeof sa);
            err = errno;
            snprintf(extra, sizeof extra, "\"arg\":\"%s:%s\"", f[2], f[3]);
            report("bind", f[1], r, err, extra);
        } else if (strcmp(a, "source") == 0) {
            need(n, 3, argv[i]);
            int fd = lookup(f[1]), one = 1;
            struct sockaddr_in sa = parse_addr(f[2], "0");
            r = setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            if (r == 0) r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
            err = errno;
            snprintf(extra, sizeof extra, "\"arg\":\"%s:0\",\"harness\":true", f[2]);
            report("bind", f[1], r, err, extra);
        } else if (strcmp(a, "listen") == 0) {
            need(n, 3, argv[i]);
            r = listen(lookup(f[1]), atoi(f[2]));
            err = errno;
            snprintf(extra, sizeof extra, "\"arg\":%d", atoi(f[2]));
            report("listen", f[1], r, err, extra);
        } else if (strcmp(a, "accept") == 0) {
            need(n, 4, argv[i]);
            int fd = lookup(f[1]);
            set_timeout(fd, atoi(f[3]));
            r = accept(fd, NULL, NULL);
            err = errno;
            extra[0] = '\0';
            if (r >= 0) {
                remember(f[2], (int)r);
                endpoints((int)r, extra, sizeof extra);
            }
            report("accept", f[1], r, err, extra);
        } else if (strcmp(a, "connect") == 0) {
            need(n, 4, argv[i]);
            int fd = lookup(f[1]);
            struct sockaddr_in sa = parse_addr(f[2], f[3]);
            r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
            err = errno;
            endpoints(fd, extra, sizeof extra);
            report("connect", f[1], r, err, extra);
        } else if (strcmp(a, "poll") == 0) {
            need(n, 3, argv[i]);
            int in = n > 3 && strcmp(f[3], "POLLIN") == 0;
            struct pollfd p = {.fd = lookup(f[1]), .events = in ? POLLIN : POLLOUT};
            r = poll(&p, 1, atoi(f[2]));
            err = errno;
            snprintf(extra, sizeof extra, "\"events\":\"%s\",\"revents\":\"%s%s%s%s\"",
                     in ? "POLLIN" : "POLLOUT",
                     p.revents & POLLOUT ? "POLLOUT|" : "", p.revents & POLLIN ? "POLLIN|" : "",
                     p.revents & POLLERR ? "POLLERR|" : "", p.revents & POLLHUP ? "POLLHUP|" : "");
            report("poll", f[1], r, err, extra);
        } else if (strcmp(a, "soerror") == 0) {
            need(n, 2, argv[i]);
            int v = 0;
            socklen_t vl = sizeof v;
            r = getsockopt(lookup(f[1]), SOL_SOCKET, SO_ERROR, &v, &vl);
            err = errno;
            snprintf(extra, sizeof extra, "\"opt\":\"SO_ERROR\",\"value\":\"%s\"",
                     v ? errname(v) : "0");
            report("getsockopt", f[1], r, err, extra);
        } else if (strcmp(a, "send") == 0) {
            need(n, 3, argv[i]);
            r = send(lookup(f[1]), f[2], strlen(f[2]), MSG_NOSIGNAL);
            err = errno;
            report("send", f[1], r, err, "");
        } else if (strcmp(a, "recv") == 0) {
            need(n, 4, argv[i]);
            int fd = lookup(f[1]);
            char buf[4096];
            size_t want = (size_t)atoi(f[2]);
            set_timeout(fd, atoi(f[3]));
            r = recv(fd, buf, want < sizeof buf ? want : sizeof buf, 0);
            err = errno;
            report("recv", f[1], r, err, "");
        } else if (strcmp(a, "close") == 0) {
            need(n, 2, argv[i]);
            r = close(lookup(f[1]));
            err = errno;
            report("close", f[1], r, err, "");
        } else {
            die("unknown action", argv[i]);
        }
        free(copy);
        if (last_failed && !go_on) return 0;
        last_failed = 0;
    }
    return 0;
}
