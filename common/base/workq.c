/* workq.c: see workq.h. One mutex and condition variable guard a FIFO of
 * intrusive jobs; workers sleep on the condition while it is empty. */
#include "workq.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#define WORKQ_THREADS_MAX 64

struct masa_workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct masa_job *head, *tail;
	int stopping;
	size_t nthreads;
	char name[16];
	pthread_t threads[WORKQ_THREADS_MAX];
};

/* A worker: runs jobs until the queue is empty and stopping. */
static void *
worker(void *arg)
{
	struct masa_workq *q = arg;
	struct masa_job *job;

	prctl(PR_SET_NAME, q->name, 0, 0, 0);
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		job = q->head;
		if (job != NULL) {
			q->head = job->next;
			if (q->head == NULL)
				q->tail = NULL;
		}
		pthread_mutex_unlock(&q->mu);
		if (job == NULL)
			return NULL;	/* stopping, and nothing left */
		job->next = NULL;
		job->run(job);
	}
}

enum masa_err
masa_workq_start(size_t nthreads, const char *name, struct masa_workq **out)
{
	struct masa_workq *q;
	size_t i;

	if (nthreads == 0 || nthreads > WORKQ_THREADS_MAX)
		return MASA_E_INTERNAL;
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return MASA_E_NOMEM;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	snprintf(q->name, sizeof q->name, "%s", name);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
			break;
	}
	q->nthreads = i;
	if (i < nthreads) {
		masa_workq_stop(q);
		return MASA_E_INTERNAL;
	}
	*out = q;
	return MASA_OK;
}

enum masa_err
masa_workq_push(struct masa_workq *q, struct masa_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mu);
		return MASA_E_SHUTTING_DOWN;
	}
	if (q->tail != NULL)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return MASA_OK;
}

void
masa_workq_stop(struct masa_workq *q)
{
	size_t i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
