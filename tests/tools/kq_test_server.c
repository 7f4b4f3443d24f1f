/* kq_test_server.c - a small HTTP/1.1 server for kquant's fetch tests.
 *
 *   kq_test_server [--root DIR] [--lifetime SECONDS]
 *   kq_test_server --free-port
 *
 * Listens on 127.0.0.1 only, on a port the kernel picks, and prints
 * "port N" as its first line on stdout. Then it logs one line per event:
 *   request <connection number> <target> ua=<User-Agent> accept=<Accept>
 *   sent <target> <body bytes the kernel accepted> <done|stopped>
 *   closed <target>
 * It ends itself after --lifetime seconds (default 60) whatever happens,
 * so a test that forgets it cannot leave it running. --free-port prints a
 * port that was free a moment ago (bound, then closed) and exits: a target
 * for "connection refused".
 *
 * Routes (the query string is ignored, so tests can tag requests):
 *   /NAME                 the file NAME from --root (image/png for .png,
 *                         image/jpeg for .jpg, else octet-stream)
 *   /status/CODE          that status with an HTML body
 *   /redirect/N/REST      302 to /redirect/N-1/REST, the last one to /REST
 *   /to-file, /to-ftp     302 to file:///etc/passwd or ftp://127.0.0.1/
 *   /huge                 200, no length, 1 GiB streamed in 16 KiB pieces,
 *                         1 ms apart, until the client goes away
 *   /huge-declared        the same with Content-Length: 1073741824
 *   /hang                 reads the request, never answers
 *   /html                 200 text/html page
 *   /empty                200 with an empty body
 *   /truncated/NAME       200 with the first half of NAME (length honest)
 *   /short/NAME           Content-Length of all of NAME, half sent, closed
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX 8192
#define PIECE ((size_t)16 << 10)
#define HUGE_BODY ((size_t)1 << 30)

typedef struct {
    const char *root;
    int port;
} server_config;

typedef struct {
    const server_config *config;
    int fd;
    unsigned long number;
    char target[1024];
    char path[1024]; /* target without the query */
} connection;

/* One write per line, so that lines from threads never interleave. */
static void log_line(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)(sizeof line - 2);
    line[n++] = '\n';
    if (write(STDOUT_FILENO, line, (size_t)n) < 0)
        _exit(1); /* the test went away: so do we */
}

/* Sends up to len bytes; returns how many the kernel accepted. */
static size_t send_some(int fd, const void *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, (const char *)data + done, len - done,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

static void send_text(int fd, const char *text)
{
    send_some(fd, text, strlen(text));
}

static void send_head(int fd, int code, const char *reason, const char *type,
                      long long length, const char *extra)
{
    char head[1024];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n", code, reason);
    if (type)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Type: %s\r\n", type);
    if (length >= 0)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Length: %lld\r\n", length);
    snprintf(head + n, sizeof head - (size_t)n, "%sConnection: close\r\n\r\n",
             extra ? extra : "");
    send_text(fd, head);
}

static void send_page(int fd, int code, const char *reason, const char *body)
{
    send_head(fd, code, reason, "text/html; charset=utf-8",
              (long long)strlen(body), NULL);
    send_text(fd, body);
}

static void redirect_to(int fd, const char *location)
{
    char extra[1200];
    snprintf(extra, sizeof extra, "Location: %s\r\n", location);
    static const char body[] = "<html><body>moved</body></html>";
    send_head(fd, 302, "Found", "text/html", (long long)strlen(body), extra);
    send_text(fd, body); /* as real servers do; curl must skip it */
}

/* ---- files ---------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) &&
        fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

static const char *content_type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcasecmp(dot, ".png") == 0)
        return "image/png";
    if (dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0))
        return "image/jpeg";
    return "application/octet-stream";
}

typedef enum { WHOLE, HALF_HONEST, HALF_PROMISED_ALL } file_cut;

static void serve_file(const connection *c, const char *name, file_cut cut)
{
    char path[2048];
    size_t len = 0;
    unsigned char *data = NULL;
    if (!strstr(name, "..")) {
        snprintf(path, sizeof path, "%s/%s", c->config->root, name);
        data = read_file(path, &len);
    }
    if (!data) {
        send_page(c->fd, 404, "Not Found", "<html><body>no such file</body></html>");
        return;
    }
    size_t body = cut == WHOLE ? len : len / 2;
    size_t announced = cut == HALF_PROMISED_ALL ? len : body;
    send_head(c->fd, 200, "OK", content_type_of(name), (long long)announced,
              NULL);
    send_some(c->fd, data, body);
    free(data);
}

/* ---- scripted answers ----------------------------------------------------- */

static const char *reason_for(int code)
{
    switch (code) {
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Whatever";
    }
}

static void serve_status(const connection *c, const char *code_text)
{
    int code = atoi(code_text); /* test tool: the tests choose the text */
    if (code < 100 || code > 599)
        code = 500;
    char body[256];
    snprintf(body, sizeof body,
             "<!DOCTYPE html><html><body><h1>%d %s</h1></body></html>", code,
             reason_for(code));
    send_page(c->fd, code, reason_for(code), body);
}

/* /redirect/N/REST: N hops in all, then REST. */
static void serve_redirect(const connection *c, const char *rest)
{
    char *end;
    long hops = strtol(rest, &end, 10);
    char location[1100];
    if (end == rest || *end != '/' || hops < 1) {
        send_page(c->fd, 400, "Bad Request", "<html>bad redirect</html>");
        return;
    }
    if (hops == 1)
        snprintf(location, sizeof location, "%s", end);
    else
        snprintf(location, sizeof location, "/redirect/%ld%s", hops - 1, end);
    redirect_to(c->fd, location);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* Streams a body that would take ~1 minute at this pace; logs how much the
 * kernel accepted before the client went away. */
static void serve_huge(const connection *c, bool declare_length)
{
    unsigned char *piece = calloc(1, PIECE);
    if (!piece)
        return;
    memcpy(piece, "\x89PNG\r\n\x1a\n", 8);
    send_head(c->fd, 200, "OK", "image/png",
              declare_length ? (long long)HUGE_BODY : -1, NULL);
    size_t sent = 0;
    bool stopped = false;
    while (sent < HUGE_BODY && !stopped) {
        size_t n = send_some(c->fd, piece, PIECE);
        sent += n;
        stopped = n < PIECE;
        sleep_ms(1);
    }
    free(piece);
    log_line("sent %s %zu %s", c->target, sent, stopped ? "stopped" : "done");
}

/* Never answers; returns once the client has closed its end. */
static void serve_hang(const connection *c)
{
    char buf[512];
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    log_line("closed %s", c->target);
}

static void dispatch(const connection *c)
{
    const char *p = c->path;
    char location[256];
    if (strncmp(p, "/status/", 8) == 0)
        serve_status(c, p + 8);
    else if (strncmp(p, "/redirect/", 10) == 0)
        serve_redirect(c, p + 10);
    else if (strcmp(p, "/to-file") == 0)
        redirect_to(c->fd, "file:///etc/passwd");
    else if (strcmp(p, "/to-ftp") == 0) {
        snprintf(location, sizeof location, "ftp://127.0.0.1:%d/photo.png",
                 c->config->port);
        redirect_to(c->fd, location);
    } else if (strcmp(p, "/huge") == 0 || strcmp(p, "/huge-declared") == 0)
        serve_huge(c, strcmp(p, "/huge-declared") == 0);
    else if (strcmp(p, "/hang") == 0)
        serve_hang(c);
    else if (strcmp(p, "/html") == 0)
        send_page(c->fd, 200, "OK",
                  "<!DOCTYPE html>\n<html><head><title>Photo</title></head>"
                  "<body><p>Please enable JavaScript.</p></body></html>\n");
    else if (strcmp(p, "/empty") == 0)
        send_head(c->fd, 200, "OK", "image/png", 0, NULL);
    else if (strncmp(p, "/truncated/", 11) == 0)
        serve_file(c, p + 11, HALF_HONEST);
    else if (strncmp(p, "/short/", 7) == 0)
        serve_file(c, p + 7, HALF_PROMISED_ALL);
    else
        serve_file(c, p + 1, WHOLE);
}

/* ---- requests ------------------------------------------------------------- */

/* Reads the request head; false when the client sent no complete one. */
static bool read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return true;
    }
    return false;
}

/* Copies the value of header name (e.g. "User-Agent") into out. */
static void header_of(const char *request, const char *name, char *out,
                      size_t out_len)
{
    size_t n = strlen(name);
    out[0] = '\0';
    for (const char *line = strstr(request, "\r\n"); line;
         line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, out_len, "%.*s", (int)len, v);
            return;
        }
    }
}

static void *handle(void *arg)
{
    connection *c = arg;
    char request[REQUEST_MAX], ua[256], accept[256];
    if (read_request(c->fd, request, sizeof request) &&
        sscanf(request, "GET %1023s", c->target) == 1) {
        snprintf(c->path, sizeof c->path, "%.*s",
                 (int)strcspn(c->target, "?"), c->target);
        header_of(request, "User-Agent", ua, sizeof ua);
        header_of(request, "Accept", accept, sizeof accept);
        log_line("request %lu %s ua=%s accept=%s", c->number, c->target, ua,
                 accept);
        dispatch(c);
    } else {
        log_line("request %lu (unreadable)", c->number);
    }
    close(c->fd);
    free(c);
    return NULL;
}

static int listen_on_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("kq_test_server: listen");
        exit(1);
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

static void serve_forever(int listener, const server_config *config)
{
    for (unsigned long number = 1;; number++) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            number--;
            continue;
        }
        connection *c = calloc(1, sizeof *c);
        pthread_t thread;
        if (!c) {
            close(fd);
            continue;
        }
        *c = (connection){.config = config, .fd = fd, .number = number};
        if (pthread_create(&thread, NULL, handle, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        pthread_detach(thread);
    }
}

int main(int argc, char **argv)
{
    server_config config = {.root = ".", .port = 0};
    unsigned lifetime = 60;
    bool free_port = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            config.root = argv[++i];
        else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
            lifetime = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--free-port") == 0)
            free_port = true;
        else {
            fprintf(stderr, "usage: kq_test_server [--root DIR] "
                            "[--lifetime SECONDS] | --free-port\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    alarm(lifetime > 0 ? lifetime : 60); /* the default action ends us */
    int listener = listen_on_loopback(&config.port);
    log_line("port %d", config.port);
    if (free_port) {
        close(listener);
        return 0;
    }
    serve_forever(listener, &config);
}
