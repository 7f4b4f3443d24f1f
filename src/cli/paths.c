/* paths.c - names derived from the names the user gave. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *kq_cli_path_variant(const char *path, const char *tag, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot ? (size_t)(dot - path) : strlen(path);
    const char *suffix = ext ? ext : (dot ? dot : "");
    size_t size = stem + strlen(tag) + strlen(suffix) + 1;
    char *out = malloc(size);
    if (out)
        snprintf(out, size, "%.*s%s%s", (int)stem, path, tag, suffix);
    return out;
}

bool kq_cli_is_dash(const char *name)
{
    return name && strcmp(name, "-") == 0;
}

kq_format kq_cli_output_format(const char *path)
{
    return kq_cli_is_dash(path) ? KQ_FORMAT_PNG : kq_format_from_path(path);
}

const char *kq_cli_output_name(const char *path)
{
    return kq_cli_is_dash(path) ? "stdout" : path;
}
