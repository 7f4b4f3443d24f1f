/* curl_load.c - libcurl, loaded when a download first needs it.
 *
 * Linking libcurl made every run load about 30 libraries (TLS, Kerberos,
 * LDAP, SSH, ...) and run their constructors before main(): `kquant
 * --version` took 8.8 ms, against 1.0 ms for a program linking only libpng
 * and libjpeg, and a whole run on the tutorial's photo takes about 25 ms.
 * Only --url needs libcurl, so it is opened then, by its soname (the ABI
 * of libcurl.so.4 is the one the headers describe; Debian's libcurl4
 * package provides it, and libcurl4-openssl-dev is what the build uses). */
#include "curl_api.h"

#include "kq_internal.h"

#include <dlfcn.h>

#define CURL_SONAME "libcurl.so.4"

static kq_curl_api api;

/* POSIX's way to turn dlsym's object pointer into a function pointer. */
#define FIND(field, name) \
    (*(void **)&api.field = dlsym(lib, name)) != NULL

static bool find_all(void *lib)
{
    return FIND(global_init, "curl_global_init") &&
           FIND(global_cleanup, "curl_global_cleanup") &&
           FIND(easy_init, "curl_easy_init") &&
           FIND(easy_setopt, "curl_easy_setopt") &&
           FIND(easy_perform, "curl_easy_perform") &&
           FIND(easy_getinfo, "curl_easy_getinfo") &&
           FIND(easy_cleanup, "curl_easy_cleanup") &&
           FIND(easy_strerror, "curl_easy_strerror") &&
           FIND(slist_append, "curl_slist_append") &&
           FIND(slist_free_all, "curl_slist_free_all") &&
           FIND(free_string, "curl_free") && FIND(url, "curl_url") &&
           FIND(url_cleanup, "curl_url_cleanup") &&
           FIND(url_set, "curl_url_set") && FIND(url_get, "curl_url_get") &&
           FIND(url_strerror, "curl_url_strerror");
}

static kq_lazy_library library = KQ_LAZY_LIBRARY(CURL_SONAME, find_all, NULL);

const kq_curl_api *kq_curl(const char **why)
{
    return kq_lazy_library_ready(&library, why) ? &api : NULL;
}
