/*
 * A point-to-point link with a one-way delay between two network namespaces, made of a TUN
 * device in each and this relay between them.
 *
 *   kl-link NETNS_A DEV_A NETNS_B DEV_B DELAY_MS
 *
 * Why not `tc qdisc ... netem delay`: the kernels these tests run on are not guaranteed to
 * have sch_netem (the CI machines' kernel does not: "Specified qdisc kind is unknown"), and
 * nftables cannot delay. A relay only needs TUN, which every kernel here has.
 *
 * NETNS_* are paths such as /var/run/netns/NAME. The devices live as long as this process:
 * it prints "ready" once both exist, and on SIGTERM/SIGINT it exits and they vanish.
 * Each direction is a FIFO: with one delay for every packet, due times never reorder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define QLEN 4096
#define MTU 2048

struct packet {
    long long due_us;
    int len;
    unsigned char data[MTU];
};

/* One direction of the link: packets read from one device, waiting to be written to the
 * other. */
struct fifo {
    struct packet *slots;
    int head, count;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void fail(const char *what) {
    fprintf(stderr, "kl-link: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* Enters the namespace at `path` and creates TUN device `dev` there. The fd stays usable
 * after the process moves to another namespace. */
static int open_tun(const char *path, const char *dev) {
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) fail(path);
    if (setns(ns, CLONE_NEWNET) < 0) fail("setns");
    close(ns);
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) fail("/dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) fail("TUNSETIFF");
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Reads every waiting packet from `from` into `q`, due `delay` from now. */
static void take(int from, struct fifo *q, long long delay) {
    for (;;) {
        if (q->count == QLEN) {
            /* A full queue drops, as a real link's buffer would; scenarios never get near. */
            unsigned char scratch[MTU];
            if (read(from, scratch, sizeof scratch) < 0) return;
            continue;
        }
        struct packet *p = &q->slots[(q->head + q->count) % QLEN];
        ssize_t n = read(from, p->data, sizeof p->data);
        if (n <= 0) return;
        p->len = (int)n;
        p->due_us = now_us() + delay;
        q->count++;
    }
}

/* Writes every packet of `q` that is due to `to`. */
static void give(int to, struct fifo *q) {
    long long now = now_us();
    while (q->count > 0 && q->slots[q->head].due_us <= now) {
        struct packet *p = &q->slots[q->head];
        if (write(to, p->data, (size_t)p->len) < 0 && errno == EAGAIN) return;
        q->head = (q->head + 1) % QLEN;
        q->count--;
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: kl-link NETNS_A DEV_A NETNS_B DEV_B DELAY_MS\n");
        return 2;
    }
    long long delay = atoll(argv[5]) * 1000LL;
    int a = open_tun(argv[1], argv[2]);
    int b = open_tun(argv[3], argv[4]);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    struct fifo ab = {calloc(QLEN, sizeof(struct packet)), 0, 0};
    struct fifo ba = {calloc(QLEN, sizeof(struct packet)), 0, 0};
    if (!ab.slots || !ba.slots) fail("calloc");
    printf("ready\n");
    fflush(stdout);

    while (!stop) {
        /* Sleep until a device has a packet or the next queued packet is due. */
        int timeout = 1000;
        long long now = now_us();
        struct fifo *qs[2] = {&ab, &ba};
        for (int i = 0; i < 2; i++)
            if (qs[i]->count > 0) {
                long long wait = (qs[i]->slots[qs[i]->head].due_us - now + 999) / 1000;
                if (wait < timeout) timeout = wait < 0 ? 0 : (int)wait;
            }
        struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
        if (poll(p, 2, timeout) < 0 && errno != EINTR) fail("poll");
        if (p[0].revents & POLLIN) take(a, &ab, delay);
        if (p[1].revents & POLLIN) take(b, &ba, delay);
        give(b, &ab);
        give(a, &ba);
    }
    return 0;
}
