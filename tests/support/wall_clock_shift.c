/* LD_PRELOAD shim for tests: the wall clock of one process steps by the seconds written in the
   file $WALL_CLOCK_SHIFT_FILE (read again every 50 ms), the monotonic clock runs on, as under
   an NTP step or an operator's `date`. sem_timedwait, whose deadline is on the wall clock, waits
   in short real slices against the shifted clock, as the kernel's would after a real step: a
   step back makes a wait in progress last that much longer. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static pthread_mutex_t shift_lock = PTHREAD_MUTEX_INITIALIZER;
static long long shift_ns, shift_read_at = -1000000000LL;

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static struct timespec timespec_of(long long t) {
    struct timespec r = {t / 1000000000LL, t % 1000000000LL};
    return r;
}

static long long clock_ns(clockid_t c) {
    struct timespec t;
    if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    real_clock_gettime(c, &t);
    return ns(&t);
}

static long long shift(void) {
    long long now = clock_ns(CLOCK_MONOTONIC), result;
    pthread_mutex_lock(&shift_lock);
    if (now - shift_read_at > 50000000LL) {
        const char *path = getenv("WALL_CLOCK_SHIFT_FILE");
        FILE *f = path ? fopen(path, "r") : NULL;
        double seconds;
        shift_read_at = now;
        if (f) {
            if (fscanf(f, "%lf", &seconds) == 1) shift_ns = (long long)(seconds * 1e9);
            fclose(f);
        }
    }
    result = shift_ns;
    pthread_mutex_unlock(&shift_lock);
    return result;
}

static long long wall_ns(void) { return clock_ns(CLOCK_REALTIME) + shift(); }

int clock_gettime(clockid_t c, struct timespec *t) {
    if (c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE) {
        *t = timespec_of(wall_ns());
        return 0;
    }
    if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    return real_clock_gettime(c, t);
}

int gettimeofday(struct timeval *tv, void *tz) {
    long long t = wall_ns();
    (void)tz;
    if (tv) {
        tv->tv_sec = t / 1000000000LL;
        tv->tv_usec = (t % 1000000000LL) / 1000;
    }
    return 0;
}

time_t time(time_t *out) {
    time_t t = wall_ns() / 1000000000LL;
    if (out) *out = t;
    return t;
}

int sem_timedwait(sem_t *s, const struct timespec *deadline) {
    if (!real_sem_timedwait) real_sem_timedwait = dlsym(RTLD_NEXT, "sem_timedwait");
    for (;;) {
        long long left = ns(deadline) - wall_ns();
        struct timespec slice_end;
        if (left <= 0) {
            if (sem_trywait(s) == 0) return 0;
            errno = ETIMEDOUT;
            return -1;
        }
        slice_end = timespec_of(clock_ns(CLOCK_REALTIME) + (left < 20000000LL ? left : 20000000LL));
        if (real_sem_timedwait(s, &slice_end) == 0) return 0;
        if (errno != ETIMEDOUT) return -1;
    }
}
