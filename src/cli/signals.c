/* signals.c - Ctrl-C and SIGTERM leave no half-written output behind.
 *
 * The library writes every output to a temporary file first. The program
 * keeps the paths of the temporary files open right now in a fixed table;
 * on SIGINT, SIGTERM or SIGPIPE the handler unlinks them and exits with
 * 128 + the signal number (130, 143, 141). The handler only calls unlink and _exit, both
 * async-signal-safe, and reads the table, which is only changed while the
 * two signals are blocked. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PENDING_SLOTS 8
#define PENDING_PATH_MAX 4096

static char pending[PENDING_SLOTS][PENDING_PATH_MAX];
static volatile sig_atomic_t pending_used[PENDING_SLOTS];

static void remove_pending_and_exit(int sig)
{
    for (int i = 0; i < PENDING_SLOTS; i++)
        if (pending_used[i])
            unlink(pending[i]);
    _exit(128 + sig);
}

/* Catches sig unless it was ignored when kquant started (nohup, or a
 * background job of a shell without job control): that choice stays. */
static void catch_signal(int sig)
{
    struct sigaction old, sa;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending_and_exit;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGPIPE);
    sigaction(sig, &sa, NULL);
}

void kq_cli_signals_install(void)
{
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
    /* a reader that stops early ('| head') must not leave a temporary
     * file behind either; 141 is what shells show for it anyway */
    catch_signal(SIGPIPE);
}

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

static void forget(const kq_atomic_file *file)
{
    const char *temp = kq_atomic_temp_path(file);
    for (int i = 0; i < PENDING_SLOTS; i++)
        if (pending_used[i] && strcmp(pending[i], temp) == 0)
            pending_used[i] = 0;
}

/* Records the temporary path; a path that does not fit (or a full table)
 * refuses the output rather than risk leaving it behind. */
static bool remember(const kq_atomic_file *file)
{
    const char *temp = kq_atomic_temp_path(file);
    if (strlen(temp) >= PENDING_PATH_MAX)
        return false;
    for (int i = 0; i < PENDING_SLOTS; i++) {
        if (!pending_used[i]) {
            memcpy(pending[i], temp, strlen(temp) + 1);
            pending_used[i] = 1;
            return true;
        }
    }
    return false;
}

kq_status kq_cli_atomic_open(const char *path, kq_atomic_file **out,
                             char *err, size_t err_len)
{
    sigset_t old;
    block_signals(&old);
    kq_status st = kq_atomic_open(path, out, err, err_len);
    if (st == KQ_OK && !remember(*out)) {
        kq_atomic_abort(*out);
        if (err && err_len)
            snprintf(err, err_len, "path too long");
        st = KQ_ERR_OUTPUT;
    }
    restore_signals(&old);
    return st;
}

kq_status kq_cli_atomic_commit(kq_atomic_file *file, char *err,
                               size_t err_len)
{
    sigset_t old;
    block_signals(&old);
    forget(file);
    kq_status st = kq_atomic_commit(file, err, err_len);
    restore_signals(&old);
    return st;
}

void kq_cli_atomic_abort(kq_atomic_file *file)
{
    sigset_t old;
    block_signals(&old);
    forget(file);
    kq_atomic_abort(file);
    restore_signals(&old);
}
