/*
 * Threads for the native kernels: a scratch block per thread for gemm's
 * packed panels, and a pool of POSIX threads that run the blocks of one
 * split call. The caller publishes the job and bumps a sequence number;
 * workers spin briefly on it, then sleep on a condition variable; the
 * caller runs block 0 itself and waits (spinning, then yielding) for the
 * others. One call at a time uses the pool: a second caller (another
 * JavaScript thread that loaded the addon) runs its blocks itself, in order.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "kernels.h"

#define MAX_THREADS 64
#define SPINS 20000

/* Each thread's scratch, freed when the thread ends (a JavaScript worker that used the kernels, say). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void make_scratch_key(void) {
  if (pthread_key_create(&scratch_key, free) != 0) abort();
}

void *recurrent_thread_scratch(void) {
  pthread_once(&scratch_once, make_scratch_key);
  void *scratch = pthread_getspecific(scratch_key);
  if (!scratch) {
    scratch = aligned_alloc(64, RECURRENT_SCRATCH_BYTES);
    if (!scratch || pthread_setspecific(scratch_key, scratch) != 0) abort(); /* 1 MiB; nothing sensible is left to do without it */
  }
  return scratch;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static int workers; /* started, the caller not counted */
static atomic_uint seq;
static atomic_int pending;
static void (*job_fn)(void *, int);
static void *job_arg;
static int job_parts;
/* The sequence number each worker starts from: read by its starter while it holds `busy` (so no job can be
 * published in between), not by the worker when it first runs, which may be after the first job. */
static unsigned start_seq[MAX_THREADS];

static void *worker_main(void *arg) {
  const int index = (int)(long)arg; /* 1-based: part 0 is the caller's */
  unsigned seen = start_seq[index];
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&seq, memory_order_acquire) == seen) {
      if (++spins < SPINS) continue;
      pthread_mutex_lock(&lock);
      while (atomic_load_explicit(&seq, memory_order_acquire) == seen) pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    seen = atomic_load_explicit(&seq, memory_order_acquire);
    if (index < job_parts) job_fn(job_arg, index);
    atomic_fetch_sub_explicit(&pending, 1, memory_order_acq_rel);
  }
  return NULL;
}

int recurrent_threads_start(int threads) {
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  pthread_mutex_lock(&busy);
  while (workers + 1 < threads) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_seq[workers + 1] = atomic_load_explicit(&seq, memory_order_acquire);
    const int ok = pthread_create(&t, &attr, worker_main, (void *)(long)(workers + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    workers++;
  }
  const int n = workers + 1;
  pthread_mutex_unlock(&busy);
  return n;
}

void recurrent_parallel(int parts, void (*fn)(void *, int), void *job) {
  if (parts > 1 && pthread_mutex_trylock(&busy) == 0) {
    if (parts <= workers + 1) {
      job_fn = fn;
      job_arg = job;
      job_parts = parts;
      atomic_store_explicit(&pending, workers, memory_order_relaxed);
      pthread_mutex_lock(&lock);
      atomic_fetch_add_explicit(&seq, 1, memory_order_release);
      pthread_cond_broadcast(&wake);
      pthread_mutex_unlock(&lock);
      fn(job, 0);
      int spins = 0;
      while (atomic_load_explicit(&pending, memory_order_acquire) > 0)
        if (++spins > SPINS) sched_yield();
      pthread_mutex_unlock(&busy);
      return;
    }
    pthread_mutex_unlock(&busy);
  }
  for (int i = 0; i < parts; i++) fn(job, i);
}
