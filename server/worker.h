/*
** worker.h: one background thread that sleeps between rounds and can be
** asked to stop: the scaffolding shared by the outbox worker (outbox.c),
** the search indexer (search_index.c) and the access log's flusher
** (accesslog.c). It starts the thread, lets it
** wait "this long or until stopped", and stops and joins it.
**
** What it does not do: schedule, retry or log; the thread's body decides
** its own intervals. A wait is only cut short by worker_stop(), so a
** round that is busy (a send, a batch) finishes first.
**
** Threading: worker_start() and worker_stop() are called by one thread,
** the one that owns the Worker (main); worker_wait() and
** worker_stopping() by the worker thread. bStop is guarded by mu.
*/
#ifndef HS_WORKER_H
#define HS_WORKER_H

#include <pthread.h>
#include <stdint.h>

typedef struct Worker {
  pthread_mutex_t mu;   /* guards bStop and the waits */
  pthread_cond_t cond;  /* signalled to stop */
  pthread_t thread;     /* the thread, once started */
  void (*xRun)(void *); /* its body */
  void *pArg;           /* xRun's argument */
  int bStarted;         /* thread was created (owning thread only) */
  int bStop;            /* asked to stop */
} Worker;

/* A stopped Worker, for static storage. */
#define WORKER_INIT                                                            \
  { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER }

/* Starts a thread that runs xRun(pArg) once; xRun loops, waiting with
** worker_wait() between rounds, and returns when that says stop. p must be
** stopped (WORKER_INIT, or after worker_stop()) and outlive the thread.
** 0, or E_IO when no thread could be created (nothing to stop then). */
int worker_start(Worker *p, void (*xRun)(void *), void *pArg);

/* Waits up to ms, or less if worker_stop() is called meanwhile. Returns 1
** when the thread should stop (also if it was asked before the call), else
** 0. From the worker thread. */
int worker_wait(Worker *p, int64_t ms);

/* 1 if the thread has been asked to stop, else 0, without waiting: for
** checks inside a round. From the worker thread. */
int worker_stopping(Worker *p);

/* Asks the thread to stop, wakes it from a wait, and joins it (a round in
** progress finishes first). Does nothing if p was not started. */
void worker_stop(Worker *p);

#endif
