/* test_fetch.c - the fetch stage against kq_test_server, a loopback-only
 * HTTP server this program starts (fork/exec) and stops. Nothing here
 * leaves 127.0.0.1. */
#include "testutil.h"

#include "kq_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_CAP (1 << 16)
#define MAX_BYTES_LIMIT 100000

typedef struct {
    pid_t pid;
    int log_fd;            /* the server's stdout */
    char log[LOG_CAP];     /* everything it printed so far */
    size_t log_len;
    int port;
    char root[512];
    unsigned char *png, *jpg;
    size_t png_len, jpg_len;
} server;

/* ---- the server ----------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Reads the server's log until needle appears or timeout_s pass; returns
 * the start of the line holding needle, or NULL. */
static const char *wait_for_log(server *s, const char *needle,
                                double timeout_s)
{
    double deadline = now_seconds() + timeout_s;
    for (;;) {
        const char *hit = strstr(s->log, needle);
        if (hit) {
            while (hit > s->log && hit[-1] != '\n')
                hit--;
            return hit;
        }
        double left = deadline - now_seconds();
        struct pollfd p = {.fd = s->log_fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            return NULL;
        ssize_t n = read(s->log_fd, s->log + s->log_len,
                         LOG_CAP - 1 - s->log_len);
        if (n <= 0)
            return NULL;
        s->log_len += (size_t)n;
        s->log[s->log_len] = '\0';
    }
}

static void start_server(server *s)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(KQ_TEST_SERVER, KQ_TEST_SERVER, "--root", s->root,
              "--lifetime", "120", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    s->log_fd = out[0];
    const char *line = wait_for_log(s, "port ", 10.0);
    assert_non_null(line);
    assert_int_equal(sscanf(line, "port %d", &s->port), 1);
}

static void write_bytes(const char *dir, const char *name, const void *data,
                        size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_in_root(const server *s, const char *name,
                                   size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s->root, name);
    unsigned char *data = kq_test_read_file(path, len);
    assert_non_null(data);
    return data;
}

/* photo.png (the sample photo), photo.jpg (made from it), and two files
 * that are images stb cannot read. */
static void fill_root(server *s)
{
    size_t len;
    unsigned char *png =
        kq_test_read_file(KQ_SOURCE_DIR "/images_input/coffee.png", &len);
    assert_non_null(png);
    write_bytes(s->root, "photo.png", png, len);
    free(png);
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char path[1024];
    assert_int_equal(kq_image_load_file(KQ_SOURCE_DIR "/images_input/coffee.png",
                                        &lo, &img, NULL, 0), KQ_OK);
    snprintf(path, sizeof path, "%s/photo.jpg", s->root);
    assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_OK);
    kq_image_free(&img);
    static const unsigned char webp[] = "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f";
    write_bytes(s->root, "photo.webp", webp, sizeof webp - 1);
    s->png = read_in_root(s, "photo.png", &s->png_len);
    s->jpg = read_in_root(s, "photo.jpg", &s->jpg_len);
}

static void clear_proxies(void)
{
    static const char *const names[] = {"http_proxy", "https_proxy",
                                        "HTTP_PROXY", "HTTPS_PROXY",
                                        "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
}

static int group_setup(void **state)
{
    server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    clear_proxies(); /* a proxy must never see the test's requests */
    assert_int_equal(kq_fetch_global_init(), KQ_OK);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->root, sizeof s->root, "%s/kq_fetch_XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(s->root));
    fill_root(s);
    start_server(s);
    *state = s;
    return 0;
}

static void remove_in_root(const server *s, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s->root, name);
    unlink(path);
}

static int group_teardown(void **state)
{
    server *s = *state;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    close(s->log_fd);
    remove_in_root(s, "photo.png");
    remove_in_root(s, "photo.jpg");
    remove_in_root(s, "photo.webp");
    rmdir(s->root);
    free(s->png);
    free(s->jpg);
    free(s);
    kq_fetch_global_cleanup();
    return 0;
}

/* ---- helpers -------------------------------------------------------------- */

typedef struct {
    kq_status status;
    unsigned char *data;
    size_t len;
    kq_fetch_info info;
    char err[512];
    double seconds;
} fetch_result;

static fetch_result fetch_with(const char *url, const kq_fetch_options *opts)
{
    fetch_result r = {.len = 12345};
    double start = now_seconds();
    r.status = kq_fetch_url(url, opts, &r.data, &r.len, &r.info, r.err,
                            sizeof r.err);
    r.seconds = now_seconds() - start;
    if (r.status != KQ_OK) {
        assert_null(r.data);
        assert_int_equal(r.len, 0);
    }
    return r;
}

static fetch_result fetch_path(const server *s, const char *path,
                               const kq_fetch_options *opts)
{
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    return fetch_with(url, opts);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

static void assert_same_bytes(const fetch_result *r, const unsigned char *data,
                              size_t len)
{
    assert_int_equal(r->status, KQ_OK);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->data, data, len);
}

/* The connection number the server gave the request tagged path. */
static unsigned long connection_of(server *s, const char *path)
{
    char needle[256];
    unsigned long number = 0;
    snprintf(needle, sizeof needle, " %s ua=", path);
    const char *line = wait_for_log(s, needle, 10.0);
    assert_non_null(line);
    assert_int_equal(sscanf(line, "request %lu", &number), 1);
    return number;
}

/* ---- served correctly ----------------------------------------------------- */

static void defaults_match_the_documentation(void **state)
{
    (void)state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    assert_int_equal(o.connect_timeout_ms, 10000);
    assert_int_equal(o.timeout_ms, 60000);
    assert_int_equal(o.max_bytes, 64u << 20);
    assert_null(o.user_agent);
}

static void png_arrives_byte_for_byte(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/photo.png?t=png", NULL);
    assert_same_bytes(&r, s->png, s->png_len);
    assert_int_equal(r.info.http_status, 200);
    assert_int_equal(r.info.bytes_received, s->png_len);
    assert_int_equal(r.info.redirects, 0);
    assert_string_equal(r.info.content_type, "image/png");
    kq_fetch_free(r.data);
}

static void jpeg_arrives_byte_for_byte(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/photo.jpg?t=jpg", NULL);
    assert_same_bytes(&r, s->jpg, s->jpg_len);
    assert_string_equal(r.info.content_type, "image/jpeg");
    kq_image from_url = {0}, from_file = {0};
    kq_load_options lo;
    kq_load_options_default(&lo);
    assert_int_equal(kq_image_load_memory(r.data, r.len, &lo, &from_url,
                                          NULL, 0), KQ_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/photo.jpg", s->root);
    assert_int_equal(kq_image_load_file(path, &lo, &from_file, NULL, 0), KQ_OK);
    assert_int_equal(from_url.width, from_file.width);
    assert_int_equal(from_url.height, from_file.height);
    assert_memory_equal(from_url.rgb, from_file.rgb,
                        (size_t)from_file.width * from_file.height * 3);
    kq_image_free(&from_url);
    kq_image_free(&from_file);
    kq_fetch_free(r.data);
}

static void sends_user_agent_and_accept(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/photo.png?t=headers", NULL);
    assert_int_equal(r.status, KQ_OK);
    kq_fetch_free(r.data);
    const char *line = wait_for_log(s, "/photo.png?t=headers ", 10.0);
    assert_non_null(line);
    assert_contains(line, " ua=kquant/" KQ_VERSION " accept=");
    assert_contains(line, "accept=image/png,image/jpeg,");
}

static void own_user_agent_is_sent(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.user_agent = "tester/1";
    fetch_result r = fetch_path(s, "/photo.png?t=own-ua", &o);
    assert_int_equal(r.status, KQ_OK);
    kq_fetch_free(r.data);
    assert_non_null(wait_for_log(s, "/photo.png?t=own-ua ua=tester/1 ", 10.0));
}

static void redirect_chain_ends_in_the_image(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/redirect/3/photo.png", NULL);
    assert_same_bytes(&r, s->png, s->png_len);
    assert_int_equal(r.info.redirects, 3);
    kq_fetch_free(r.data);
    r = fetch_path(s, "/redirect/5/photo.png", NULL);
    assert_same_bytes(&r, s->png, s->png_len);
    assert_int_equal(r.info.redirects, 5);
    kq_fetch_free(r.data);
}

static void sixth_redirect_is_refused(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/redirect/6/photo.png", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_contains(r.err, "more than 5 redirects");
}

/* ---- HTTP errors ---------------------------------------------------------- */

static void http_404_names_the_status(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/status/404", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_string_equal(r.err, "HTTP 404 Not Found");
    assert_int_equal(r.info.http_status, 404);
    r = fetch_path(s, "/no-such-file.png", NULL);
    assert_string_equal(r.err, "HTTP 404 Not Found");
}

static void http_500_names_the_status(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/status/500", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_string_equal(r.err, "HTTP 500 Internal Server Error");
    assert_int_equal(r.info.http_status, 500);
}

/* ---- schemes -------------------------------------------------------------- */

static void redirect_to_file_is_refused(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/to-file", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_contains(r.err, "refused redirect to 'file:///etc/passwd'");
    assert_int_equal(r.info.bytes_received, 0);
}

static void redirect_to_ftp_is_refused(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/to-ftp", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_contains(r.err, "refused redirect to 'ftp://127.0.0.1:");
}

/* Refused before any connection: the server numbers its connections, and
 * the markers on both sides of the refused URLs are neighbours. */
static void other_schemes_refused_before_connecting(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/photo.png?t=before-schemes", NULL);
    kq_fetch_free(r.data);
    char url[256];
    const char *schemes[] = {"ftp", "gopher", "dict", "file", "telnet",
                             "HTTPX", "ldap"};
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        snprintf(url, sizeof url, "%s://127.0.0.1:%d/photo.png", schemes[i],
                 s->port);
        r = fetch_with(url, NULL);
        assert_int_equal(r.status, KQ_ERR_ARGUMENT);
        assert_contains(r.err, "refused URL scheme");
        assert_contains(r.err, "only http and https");
    }
    r = fetch_with("file:///etc/passwd", NULL);
    assert_string_equal(r.err, "refused URL scheme 'file' (only http and "
                               "https are allowed)");
    snprintf(url, sizeof url, "127.0.0.1:%d/photo.png", s->port);
    r = fetch_with(url, NULL);
    assert_int_equal(r.status, KQ_ERR_ARGUMENT);
    assert_contains(r.err, "must start with http:// or https://");
    r = fetch_path(s, "/photo.png?t=after-schemes", NULL);
    kq_fetch_free(r.data);
    assert_int_equal(connection_of(s, "/photo.png?t=after-schemes"),
                     connection_of(s, "/photo.png?t=before-schemes") + 1);
}

static void upper_case_scheme_is_http(void **state)
{
    server *s = *state;
    char url[256];
    snprintf(url, sizeof url, "HTTP://127.0.0.1:%d/photo.png", s->port);
    fetch_result r = fetch_with(url, NULL);
    assert_same_bytes(&r, s->png, s->png_len);
    kq_fetch_free(r.data);
}

static void malformed_url_is_refused(void **state)
{
    (void)state;
    fetch_result r = fetch_with("http://exa mple.com/x.png", NULL);
    assert_int_equal(r.status, KQ_ERR_ARGUMENT);
    assert_contains(r.err, "malformed URL");
}

/* ---- limits --------------------------------------------------------------- */

static void body_over_max_bytes_stops_early(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.max_bytes = MAX_BYTES_LIMIT;
    fetch_result r = fetch_path(s, "/huge?t=max-bytes", &o);
    assert_int_equal(r.status, KQ_ERR_INPUT_TOO_LARGE);
    assert_contains(r.err, "larger than the limit of 100000 bytes");
    /* curl hands over at most 16 KiB at a time: the one that crossed the
     * limit is the last one we took. */
    assert_true(r.info.bytes_received > MAX_BYTES_LIMIT);
    assert_true(r.info.bytes_received <= MAX_BYTES_LIMIT + 65536);
    const char *line = wait_for_log(s, "sent /huge?t=max-bytes ", 30.0);
    assert_non_null(line);
    size_t sent = 0;
    char how[16] = "";
    assert_int_equal(sscanf(line, "sent /huge?t=max-bytes %zu %15s", &sent,
                            how), 2);
    assert_string_equal(how, "stopped");
    /* of a 1 GiB body: whatever sat in socket buffers at most */
    assert_true(sent < ((size_t)32 << 20));
    print_message("max-bytes %d: client received %zu bytes, server sent %zu "
                  "bytes of 1 GiB, %.3f s\n", MAX_BYTES_LIMIT,
                  r.info.bytes_received, sent, r.seconds);
}

static void declared_length_over_max_bytes_reads_no_body(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.max_bytes = MAX_BYTES_LIMIT;
    fetch_result r = fetch_path(s, "/huge-declared?t=declared", &o);
    assert_int_equal(r.status, KQ_ERR_INPUT_TOO_LARGE);
    assert_contains(r.err, "announces 1073741824 bytes, more than the limit "
                           "of 100000 bytes");
    assert_int_equal(r.info.bytes_received, 0);
}

static void body_of_exactly_max_bytes_is_accepted(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.max_bytes = s->png_len;
    fetch_result r = fetch_path(s, "/photo.png?t=exact", &o);
    assert_same_bytes(&r, s->png, s->png_len);
    kq_fetch_free(r.data);
    o.max_bytes = s->png_len - 1;
    r = fetch_path(s, "/photo.png?t=one-less", &o);
    assert_int_equal(r.status, KQ_ERR_INPUT_TOO_LARGE);
}

static void silent_server_times_out(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.timeout_ms = 1000;
    fetch_result r = fetch_path(s, "/hang?t=timeout", &o);
    assert_int_equal(r.status, KQ_ERR_NETWORK_TEMP);
    assert_contains(r.err, "timed out after 1 s (0 bytes of the body received)");
    /* it did wait for the limit, and it did give up (not a timing target:
     * the upper bound only tells a hang from a timeout) */
    assert_true(r.seconds >= 0.95);
    assert_true(r.seconds < 30.0);
    assert_non_null(wait_for_log(s, "closed /hang?t=timeout", 10.0));
    print_message("timeout 1 s: gave up after %.3f s\n", r.seconds);
}

/* The test server does not speak TLS: it waits for an HTTP request that
 * never comes, so the handshake stalls and the connect phase times out. */
static void stalled_tls_handshake_times_out(void **state)
{
    server *s = *state;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    o.timeout_ms = 5000;
    o.connect_timeout_ms = 1000;
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/photo.png", s->port);
    fetch_result r = fetch_with(url, &o);
    assert_int_equal(r.status, KQ_ERR_NETWORK_TEMP);
    assert_string_equal(r.err, "timed out: no connection within 1 s");
    assert_true(r.seconds >= 0.95 && r.seconds < 30.0);
}

/* ---- connection failures -------------------------------------------------- */

/* A loopback port that was free a moment ago: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void refused_connection_is_named(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/photo.png", closed_port());
    fetch_result r = fetch_with(url, NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_string_equal(r.err, "connection refused");
    assert_int_equal(r.info.http_status, 0);
}

/* A 70-character label is not a valid DNS name: the resolver fails without
 * sending a query, so this stays off the network. */
static void unresolvable_host_is_named(void **state)
{
    (void)state;
    char label[71], url[160], expected[160];
    memset(label, 'a', 70);
    label[70] = '\0';
    snprintf(url, sizeof url, "http://%s.invalid/photo.png", label);
    snprintf(expected, sizeof expected, "cannot resolve host name '%s.invalid'",
             label);
    fetch_result r = fetch_with(url, NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_string_equal(r.err, expected);
}

static void short_body_is_a_network_error(void **state)
{
    server *s = *state;
    fetch_result r = fetch_path(s, "/short/photo.png", NULL);
    assert_int_equal(r.status, KQ_ERR_NETWORK);
    assert_contains(r.err, "connection closed after");
    assert_contains(r.err, "before the whole body arrived");
}

/* ---- bodies that are not images ------------------------------------------- */

/* Fetches path (which must succeed) and decodes it; returns the status and
 * leaves the decoder's message in err. */
static kq_status fetch_and_decode(const server *s, const char *path,
                                  fetch_result *r)
{
    *r = fetch_path(s, path, NULL);
    assert_int_equal(r->status, KQ_OK);
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    kq_status st = kq_image_load_memory(r->data, r->len, &lo, &img, r->err,
                                        sizeof r->err);
    kq_image_free(&img);
    kq_fetch_free(r->data);
    r->data = NULL;
    return st;
}

static void html_body_is_named(void **state)
{
    fetch_result r;
    assert_int_equal(fetch_and_decode(*state, "/html", &r),
                     KQ_ERR_INPUT_FORMAT);
    assert_contains(r.err, "not a supported image: an HTML page");
    assert_string_equal(r.info.content_type, "text/html; charset=utf-8");
}

/* A WebP cut inside its header (WebP itself is read since 2026-11-29). */
static void truncated_webp_body_is_refused(void **state)
{
    fetch_result r;
    assert_int_equal(fetch_and_decode(*state, "/photo.webp", &r),
                     KQ_ERR_INPUT_FORMAT);
    assert_contains(r.err, "corrupt or truncated image (a WebP file whose "
                           "header cannot be read)");
}

static void truncated_image_does_not_decode(void **state)
{
    server *s = *state;
    fetch_result r;
    assert_int_equal(fetch_and_decode(s, "/truncated/photo.png", &r),
                     KQ_ERR_INPUT_FORMAT);
    assert_int_equal(r.len, s->png_len / 2);
    assert_contains(r.err, "corrupt or truncated image");
}

static void empty_body_arrives_empty(void **state)
{
    fetch_result r;
    assert_int_equal(fetch_and_decode(*state, "/empty", &r),
                     KQ_ERR_INPUT_FORMAT);
    assert_int_equal(r.len, 0);
    assert_contains(r.err, "empty");
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    unsigned char *data = NULL;
    size_t len = 0;
    kq_fetch_options o;
    kq_fetch_options_default(&o);
    assert_int_equal(kq_fetch_url(NULL, NULL, &data, &len, NULL, NULL, 0),
                     KQ_ERR_ARGUMENT);
    o.timeout_ms = 0;
    assert_int_equal(kq_fetch_url("http://127.0.0.1/", &o, &data, &len, NULL,
                                  NULL, 0), KQ_ERR_ARGUMENT);
    kq_fetch_options_default(&o);
    o.max_bytes = 0;
    assert_int_equal(kq_fetch_url("http://127.0.0.1/", &o, &data, &len, NULL,
                                  NULL, 0), KQ_ERR_ARGUMENT);
    kq_fetch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_match_the_documentation),
        cmocka_unit_test(png_arrives_byte_for_byte),
        cmocka_unit_test(jpeg_arrives_byte_for_byte),
        cmocka_unit_test(sends_user_agent_and_accept),
        cmocka_unit_test(own_user_agent_is_sent),
        cmocka_unit_test(redirect_chain_ends_in_the_image),
        cmocka_unit_test(sixth_redirect_is_refused),
        cmocka_unit_test(http_404_names_the_status),
        cmocka_unit_test(http_500_names_the_status),
        cmocka_unit_test(redirect_to_file_is_refused),
        cmocka_unit_test(redirect_to_ftp_is_refused),
        cmocka_unit_test(other_schemes_refused_before_connecting),
        cmocka_unit_test(upper_case_scheme_is_http),
        cmocka_unit_test(malformed_url_is_refused),
        cmocka_unit_test(body_over_max_bytes_stops_early),
        cmocka_unit_test(declared_length_over_max_bytes_reads_no_body),
        cmocka_unit_test(body_of_exactly_max_bytes_is_accepted),
        cmocka_unit_test(silent_server_times_out),
        cmocka_unit_test(stalled_tls_handshake_times_out),
        cmocka_unit_test(refused_connection_is_named),
        cmocka_unit_test(unresolvable_host_is_named),
        cmocka_unit_test(short_body_is_a_network_error),
        cmocka_unit_test(html_body_is_named),
        cmocka_unit_test(truncated_webp_body_is_refused),
        cmocka_unit_test(truncated_image_does_not_decode),
        cmocka_unit_test(empty_body_arrives_empty),
        cmocka_unit_test(bad_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
