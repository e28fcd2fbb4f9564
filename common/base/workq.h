/*
 * workq.h: a fixed pool of worker threads that run queued jobs, in the
 * order queued. A job is embedded in its owner's state (no allocation per
 * job) and runs exactly once, on one worker; what it does is the owner's
 * business (here: what must not run on an event-loop thread, such as a
 * store read or a signature with a slow key).
 */
#ifndef MASA_WORKQ_H
#define MASA_WORKQ_H

#include <stddef.h>

#include "attr.h"
#include "err.h"

struct masa_job {
	struct masa_job *next;		/* the queue's; do not touch */
	void (*run)(struct masa_job *job);
};

struct masa_workq;

/* Starts nthreads workers (1..64) named name (at most 15 bytes, for
 * top and gdb). MASA_E_NOMEM, MASA_E_INTERNAL (no thread). *out only on
 * success. */
MASA_NODISCARD enum masa_err masa_workq_start(size_t nthreads, const char *name,
    struct masa_workq **out);
/* Queues job (job->run set) to run on a worker. Never blocks; MASA_E_SHUTTING_DOWN
 * once masa_workq_stop has begun (job will not run). */
MASA_NODISCARD enum masa_err masa_workq_push(struct masa_workq *q, struct masa_job *job);
/* Runs every job queued so far, then stops the workers and frees q. NULL
 * is ignored. Must not be called from a job. */
void masa_workq_stop(struct masa_workq *q);

#endif
