/* curl_api.h - the libcurl functions fetch.c calls, found at run time
 * (curl_load.c). */
#ifndef KQ_CURL_API_H
#define KQ_CURL_API_H

#include <stdbool.h>

#include <curl/curl.h>

typedef struct {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list,
                                       const char *text);
    void (*slist_free_all)(struct curl_slist *list);
    void (*free_string)(void *p);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *u);
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content,
                         unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content,
                         unsigned int flags);
    const char *(*url_strerror)(CURLUcode code);
} kq_curl_api;

/* libcurl's functions, opened on the first call (thread-safe); NULL with
 * *why (if given) saying why when libcurl cannot be loaded. */
const kq_curl_api *kq_curl(const char **why);

#endif
