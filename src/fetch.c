/* fetch.c - downloading an input over HTTP(S) into memory with libcurl.
 *
 * The server is not trusted: only http and https are spoken (for the first
 * request and for every redirect), redirects are capped, connecting and the
 * whole transfer have time limits, and the body is counted as it arrives
 * so that a transfer stops as soon as it passes the byte limit. TLS
 * verification is curl's default and is never turned off here. Text the
 * server controls (reason phrases, Location, Content-Type) is reduced to
 * printable ASCII before it can reach a message. */
#include "kq_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_api.h"

#define USER_AGENT "kquant/" KQ_VERSION
/* The formats kquant decodes first, PNG and JPEG (a photo's usual
 * originals) above WebP; image CDNs pick the format from this header.
 * Anything else is still accepted (at low weight) so that a server sends
 * its one format and we can name it, rather than answer 406. */
#define ACCEPT_HEADER                                                    \
    "Accept: image/png,image/jpeg,image/webp;q=0.9,image/gif;q=0.8,"     \
    "image/bmp;q=0.8,image/x-portable-anymap;q=0.8,*/*;q=0.1"
#define ALLOWED_SCHEMES "http,https"
#define FIRST_CAPACITY ((size_t)1 << 16)

void kq_fetch_options_default(kq_fetch_options *opts)
{
    opts->connect_timeout_ms = KQ_FETCH_DEFAULT_CONNECT_TIMEOUT_MS;
    opts->timeout_ms = KQ_FETCH_DEFAULT_TIMEOUT_MS;
    opts->max_bytes = KQ_FETCH_DEFAULT_MAX_BYTES;
    opts->user_agent = NULL;
}

/* libcurl is opened on first use (curl_load.c): every entry point calls
 * need_curl() first, and curl() is its functions from then on. */
static kq_status need_curl(char *err, size_t err_len)
{
    const char *why = "";
    return kq_curl(&why)
               ? KQ_OK
               : kq_fail(KQ_ERR_INTERNAL, err, err_len,
                         "downloads need libcurl (Debian's libcurl4): %s",
                         why);
}

static const kq_curl_api *curl(void)
{
    return kq_curl(NULL);
}

kq_status kq_fetch_global_init(void)
{
    if (need_curl(NULL, 0) != KQ_OK)
        return KQ_ERR_INTERNAL;
    return curl()->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
               ? KQ_OK
               : KQ_ERR_INTERNAL;
}

void kq_fetch_global_cleanup(void)
{
    if (need_curl(NULL, 0) == KQ_OK)
        curl()->global_cleanup();
}

void kq_fetch_free(unsigned char *data)
{
    free(data);
}

/* ---- what the transfer collects ---------------------------------------- */

typedef struct {
    unsigned char *data;
    size_t len, cap;
    size_t max_bytes;
    size_t received;     /* every body byte curl handed over */
    bool over_limit;     /* we stopped it: body too large */
    bool bad_status;     /* we stopped it: the response is not 2xx */
    bool out_of_memory;
    long status;         /* from the latest status line */
    char reason[64];
    char location[256];
    char content_type[64];
    long long declared;  /* Content-Length, -1 when not sent */
} transfer;

/* Copies the printable ASCII of text[0..len) into out, trimmed. */
static void copy_printable(char *out, size_t out_len, const char *text,
                           size_t len)
{
    while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == '\n' ||
                       text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < out_len; i++)
        if (text[i] >= 0x20 && text[i] < 0x7f)
            out[o++] = text[i];
    out[o] = '\0';
}

/* "HTTP/1.1 404 Not Found": a new response starts; forget the last one. */
static void take_status_line(transfer *t, const char *line, size_t len)
{
    const char *space = memchr(line, ' ', len);
    t->status = 0;
    t->declared = -1;
    t->reason[0] = t->location[0] = t->content_type[0] = '\0';
    if (!space || (size_t)(line + len - space) < 4)
        return;
    const char *code = space + 1;
    if (!isdigit((unsigned char)code[0]) || !isdigit((unsigned char)code[1]) ||
        !isdigit((unsigned char)code[2]))
        return;
    t->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    const char *reason = code + 3;
    copy_printable(t->reason, sizeof t->reason, reason,
                   (size_t)(line + len - reason));
}

/* The value of "Name: value" when line is that header, else NULL. */
static const char *header_value(const char *line, size_t len,
                                const char *name, size_t *value_len)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    *value_len = len - n - 1;
    return line + n + 1;
}

static size_t on_header(char *line, size_t size, size_t n, void *user)
{
    transfer *t = user;
    size_t len = size * n, vlen;
    const char *v;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
        take_status_line(t, line, len);
    else if ((v = header_value(line, len, "location", &vlen)))
        copy_printable(t->location, sizeof t->location, v, vlen);
    else if ((v = header_value(line, len, "content-type", &vlen)))
        copy_printable(t->content_type, sizeof t->content_type, v, vlen);
    else if ((v = header_value(line, len, "content-length", &vlen)))
        t->declared = strtoll(v, NULL, 10); /* for messages only */
    return len;
}

static bool reserve(transfer *t, size_t needed)
{
    if (needed <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : FIRST_CAPACITY;
    while (cap < needed)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > t->max_bytes)
        cap = t->max_bytes;
    unsigned char *bigger = realloc(t->data, cap);
    if (!bigger)
        return false;
    t->data = bigger;
    t->cap = cap;
    return true;
}

/* Returning less than was handed over makes curl end the transfer at once:
 * that is how the byte limit stops a body before the rest arrives. */
static size_t on_body(char *bytes, size_t size, size_t n, void *user)
{
    transfer *t = user;
    size_t len = size * n;
    t->received += len;
    if (t->status < 200 || t->status > 299) {
        t->bad_status = true;
        return 0;
    }
    if (len > t->max_bytes - t->len) {
        t->over_limit = true;
        return 0;
    }
    if (!reserve(t, t->len + len)) {
        t->out_of_memory = true;
        return 0;
    }
    memcpy(t->data + t->len, bytes, len);
    t->len += len;
    return len;
}

/* ---- the URL, checked before anything is sent -------------------------- */

/* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
static size_t scheme_length(const char *url)
{
    if (!isalpha((unsigned char)url[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' ||
           url[i] == '.')
        i++;
    return url[i] == ':' ? i : 0;
}

static bool scheme_is(const char *url, size_t len, const char *scheme)
{
    return len == strlen(scheme) && strncasecmp(url, scheme, len) == 0;
}

/* Refuses every scheme but http and https, and URLs curl cannot parse.
 * Copies the host name into host for later messages. */
static kq_status check_url(const char *url, char *host, size_t host_len,
                           char *err, size_t err_len)
{
    size_t n = scheme_length(url);
    if (n == 0)
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "not a URL: it must start with http:// or https://");
    if (!scheme_is(url, n, "http") && !scheme_is(url, n, "https"))
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "refused URL scheme '%.*s' (only http and https are "
                       "allowed)", (int)(n > 16 ? 16 : n), url);
    CURLU *parsed = curl()->url();
    if (!parsed)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    char *name = NULL;
    CURLUcode rc = curl()->url_set(parsed, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OK)
        rc = curl()->url_get(parsed, CURLUPART_HOST, &name, 0);
    kq_status st = KQ_OK;
    if (rc != CURLUE_OK)
        st = kq_fail(KQ_ERR_ARGUMENT, err, err_len, "malformed URL (%s)",
                     curl()->url_strerror(rc));
    else
        copy_printable(host, host_len, name, strlen(name));
    curl()->free_string(name);
    curl()->url_cleanup(parsed);
    return st;
}

/* ---- the transfer ------------------------------------------------------- */

static CURLcode restrict_protocols(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms */
    CURLcode rc = curl()->easy_setopt(h, CURLOPT_PROTOCOLS_STR, ALLOWED_SCHEMES);
    if (rc == CURLE_OK)
        rc = curl()->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, ALLOWED_SCHEMES);
#else
    long mask = CURLPROTO_HTTP | CURLPROTO_HTTPS;
    CURLcode rc = curl()->easy_setopt(h, CURLOPT_PROTOCOLS, mask);
    if (rc == CURLE_OK)
        rc = curl()->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, mask);
#endif
    return rc;
}

/* Every option whose failure matters; the first failure is returned. */
static CURLcode configure(CURL *h, const char *url, const kq_fetch_options *o,
                          struct curl_slist *headers, transfer *t,
                          char *curl_err)
{
    const char *agent = o->user_agent ? o->user_agent : USER_AGENT;
    CURLcode rc = restrict_protocols(h);
#define SET(option, value)                                                \
    if (rc == CURLE_OK)                                                   \
    rc = curl()->easy_setopt(h, option, value)
    SET(CURLOPT_ERRORBUFFER, curl_err);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)KQ_FETCH_MAX_REDIRECTS);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    SET(CURLOPT_FAILONERROR, 0L); /* we word HTTP errors ourselves */
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_USERAGENT, agent);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)t);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)t);
#undef SET
    return rc;
}

static const char *standard_reason(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "HTTP 404 Not Found"; HTTP/2 sends no reason phrase, so a standard one
 * stands in. */
static kq_status http_failure(const transfer *t, char *err, size_t err_len)
{
    const char *reason = t->reason[0] ? t->reason : standard_reason(t->status);
    if (t->status >= 300 && t->status < 400 && !t->location[0])
        reason = t->reason[0] ? t->reason : "redirect without a Location";
    if (t->status == 0)
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "the server sent no HTTP status");
    return kq_fail(KQ_ERR_NETWORK, err, err_len, "HTTP %ld%s%s", t->status,
                   *reason ? " " : "", reason);
}

static kq_status timeout_failure(CURL *h, const kq_fetch_options *o,
                                 const transfer *t, char *err, size_t err_len)
{
    /* Zero until the connection (TCP, and TLS for https) was ready. */
    curl_off_t ready_us = 0;
    curl()->easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &ready_us);
    if (ready_us == 0) {
        long limit = o->connect_timeout_ms < o->timeout_ms
                         ? o->connect_timeout_ms : o->timeout_ms;
        return kq_fail(KQ_ERR_NETWORK_TEMP, err, err_len,
                       "timed out: no connection within %.3g s",
                       limit / 1000.0);
    }
    return kq_fail(KQ_ERR_NETWORK_TEMP, err, err_len,
                   "timed out after %.3g s (%zu bytes of the body received)",
                   o->timeout_ms / 1000.0, t->received);
}

static kq_status connect_failure(CURL *h, const char *curl_err, char *err,
                                 size_t err_len)
{
    long os_errno = 0;
    curl()->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno == ECONNREFUSED)
        return kq_fail(KQ_ERR_NETWORK, err, err_len, "connection refused");
    if (os_errno != 0)
        return kq_fail(KQ_ERR_NETWORK, err, err_len, "cannot connect: %s",
                       strerror((int)os_errno));
    return kq_fail(KQ_ERR_NETWORK, err, err_len, "cannot connect: %s",
                   curl_err);
}

/* What our own callbacks stopped, before curl's codes are looked at. */
static kq_status stopped_by_us(const transfer *t, const kq_fetch_options *o,
                               char *err, size_t err_len)
{
    if (t->out_of_memory)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    if (t->over_limit)
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "download stopped: the body is larger than the limit "
                       "of %zu bytes", o->max_bytes);
    if (t->bad_status)
        return http_failure(t, err, err_len);
    return KQ_OK;
}

static kq_status curl_failure(CURL *h, CURLcode rc, const char *host,
                              const kq_fetch_options *o, const transfer *t,
                              const char *curl_err, char *err, size_t err_len)
{
    kq_status st = stopped_by_us(t, o, err, err_len);
    if (st != KQ_OK)
        return st;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "cannot resolve host name '%s'", host);
    case CURLE_COULDNT_RESOLVE_PROXY:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "cannot resolve the proxy's host name (%s)", curl_err);
    case CURLE_COULDNT_CONNECT:
        return connect_failure(h, curl_err, err, err_len);
    case CURLE_OPERATION_TIMEDOUT:
        return timeout_failure(h, o, t, err, err_len);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "refused redirect to '%s' (only http and https are "
                       "followed)", t->location[0] ? t->location : curl_err);
    case CURLE_TOO_MANY_REDIRECTS:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "more than %d redirects", KQ_FETCH_MAX_REDIRECTS);
    case CURLE_FILESIZE_EXCEEDED:
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "the server announces %lld bytes, more than the limit "
                       "of %zu bytes", t->declared, o->max_bytes);
    case CURLE_PEER_FAILED_VERIFICATION:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "TLS certificate not trusted (%s)", curl_err);
    case CURLE_SSL_CONNECT_ERROR:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "TLS handshake failed (%s)", curl_err);
    case CURLE_PARTIAL_FILE:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "connection closed after %zu bytes, before the whole "
                       "body arrived", t->received);
    case CURLE_GOT_NOTHING:
        return kq_fail(KQ_ERR_NETWORK, err, err_len,
                       "the server closed the connection without a reply");
    case CURLE_OUT_OF_MEMORY:
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    default:
        return kq_fail(KQ_ERR_NETWORK, err, err_len, "%s",
                       *curl_err ? curl_err : curl()->easy_strerror(rc));
    }
}

static void fill_info(CURL *h, const transfer *t, kq_fetch_info *info)
{
    long status = 0, redirects = 0;
    curl()->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl()->easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
    info->http_status = status;
    info->bytes_received = t->received;
    info->redirects = (int)redirects;
    snprintf(info->content_type, sizeof info->content_type, "%s",
             t->content_type);
}

/* Runs the transfer into *t; the status says how it ended. */
static kq_status perform(const char *url, const char *host,
                         const kq_fetch_options *o, transfer *t,
                         kq_fetch_info *info, char *err, size_t err_len)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL *h = curl()->easy_init();
    struct curl_slist *headers = curl()->slist_append(NULL, ACCEPT_HEADER);
    kq_status st = KQ_OK;
    if (!h || !headers) {
        st = kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    } else if (configure(h, url, o, headers, t, curl_err) != CURLE_OK) {
        st = kq_fail(KQ_ERR_INTERNAL, err, err_len,
                     "libcurl lacks a required option (%s)", curl_err);
    } else {
        CURLcode rc = curl()->easy_perform(h);
        fill_info(h, t, info);
        if (rc != CURLE_OK)
            st = curl_failure(h, rc, host, o, t, curl_err, err, err_len);
        else if (t->status < 200 || t->status > 299)
            st = http_failure(t, err, err_len); /* a body-less error */
    }
    curl()->slist_free_all(headers);
    curl()->easy_cleanup(h);
    return st;
}

static bool options_valid(const kq_fetch_options *o)
{
    return o->connect_timeout_ms > 0 && o->timeout_ms > 0 &&
           o->max_bytes > 0;
}

kq_status kq_fetch_url(const char *url, const kq_fetch_options *opts,
                       unsigned char **data_out, size_t *len_out,
                       kq_fetch_info *info_out, char *err, size_t err_len)
{
    kq_fetch_options defaults;
    kq_fetch_info ignored;
    kq_fetch_info *info = info_out ? info_out : &ignored;
    memset(info, 0, sizeof *info);
    if (!opts) {
        kq_fetch_options_default(&defaults);
        opts = &defaults;
    }
    if (!url || !data_out || !len_out || !options_valid(opts))
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "invalid fetch arguments");
    *data_out = NULL;
    *len_out = 0;
    char host[256] = "";
    kq_status st = need_curl(err, err_len);
    if (st == KQ_OK)
        st = check_url(url, host, sizeof host, err, err_len);
    if (st != KQ_OK)
        return st;
    transfer t = {.max_bytes = opts->max_bytes, .declared = -1};
    st = perform(url, host, opts, &t, info, err, err_len);
    if (st == KQ_OK && !t.data && !(t.data = malloc(1)))
        st = kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    if (st != KQ_OK) {
        free(t.data);
        return st;
    }
    *data_out = t.data;
    *len_out = t.len;
    return KQ_OK;
}
