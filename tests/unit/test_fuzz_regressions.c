/* test_fuzz_regressions.c - the fuzz target's pipeline (tests/fuzz) over
 * every seed of the corpus (each must run through every stage) and every
 * input the fuzzer once found a fault with (each must end in a clean
 * status: decoded, or refused as bad input). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

typedef void (*file_check)(const char *path, kq_status status);

/* Runs the pipeline on every file of dir; returns how many there were. */
static int run_folder(const char *dir, file_check check)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        unsigned char *data = kq_test_read_file(path, &len);
        assert_non_null(data);
        check(path, fuzz_pipeline_run(data, len));
        free(data);
        files++;
    }
    closedir(d);
    return files;
}

static void must_succeed(const char *path, kq_status status)
{
    if (status != KQ_OK)
        fail_msg("%s: %s", path, kq_strerror(status));
}

static void must_end_cleanly(const char *path, kq_status status)
{
    if (status != KQ_OK && status != KQ_ERR_INPUT_FORMAT &&
        status != KQ_ERR_INPUT_TOO_LARGE && status != KQ_ERR_DATA)
        fail_msg("%s: %s", path, kq_strerror(status));
}

static void every_seed_runs_through_every_stage(void **state)
{
    (void)state;
    assert_true(run_folder(KQ_FUZZ_DIR "/corpus", must_succeed) >= 20);
}

static void every_regression_ends_cleanly(void **state)
{
    (void)state;
    assert_true(run_folder(KQ_FUZZ_DIR "/regressions", must_end_cleanly) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_seed_runs_through_every_stage),
        cmocka_unit_test(every_regression_ends_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
