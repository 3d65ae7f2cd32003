#include "util/mailbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAILBOX_MAGIC 0x4d424f58u /* "MBOX" */

struct job {
	mailbox_fn    fn;
	void         *arg;
	int          *done;     /* mailbox_call: set to 1 (ran) or -1 (dropped) */
	struct job   *next;
};

struct mailbox {
	uint32_t         mb_magic;
	int              mb_fd;
	struct event    *mb_ev;
	pthread_t        mb_owner;  /* the thread that runs the event base */
	pthread_mutex_t  mb_mu;
	pthread_cond_t   mb_cv;     /* a call finished */
	struct job      *mb_head, *mb_tail;
	int              mb_closed;
};

static void
kick(struct mailbox *mb)
{
	uint64_t one = 1;
	while (write(mb->mb_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Drop queued jobs; the caller holds mb_mu. */
static void
drop_locked(struct mailbox *mb)
{
	struct job *j = mb->mb_head;
	mb->mb_head = mb->mb_tail = NULL;
	while (j != NULL) {
		struct job *next = j->next;
		if (j->done != NULL)
			*j->done = -1;
		free(j);
		j = next;
	}
	pthread_cond_broadcast(&mb->mb_cv);
}

static void
on_mail(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox *mb = arg;
	uint64_t n;

	if (mb->mb_magic != MAILBOX_MAGIC)
		abort();
	(void)read(fd, &n, sizeof(n));
	for (;;) {
		pthread_mutex_lock(&mb->mb_mu);
		struct job *j = mb->mb_head;
		if (j != NULL) {
			mb->mb_head = j->next;
			if (mb->mb_head == NULL)
				mb->mb_tail = NULL;
		}
		pthread_mutex_unlock(&mb->mb_mu);
		if (j == NULL)
			return;
		j->fn(j->arg);
		if (j->done != NULL) {
			pthread_mutex_lock(&mb->mb_mu);
			*j->done = 1;
			pthread_cond_broadcast(&mb->mb_cv);
			pthread_mutex_unlock(&mb->mb_mu);
		}
		free(j);
	}
}

struct mailbox *
mailbox_new(struct event_base *base)
{
	struct mailbox *mb = calloc(1, sizeof(*mb));
	if (mb == NULL)
		return NULL;
	mb->mb_magic = MAILBOX_MAGIC;
	mb->mb_owner = pthread_self();
	pthread_mutex_init(&mb->mb_mu, NULL);
	pthread_cond_init(&mb->mb_cv, NULL);
	mb->mb_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->mb_fd < 0 ||
	    (mb->mb_ev = event_new(base, mb->mb_fd, EV_READ | EV_PERSIST, on_mail, mb)) == NULL ||
	    event_add(mb->mb_ev, NULL) != 0) {
		mailbox_free(mb);
		return NULL;
	}
	return mb;
}

void
mailbox_close(struct mailbox *mb)
{
	if (mb == NULL)
		return;
	pthread_mutex_lock(&mb->mb_mu);
	mb->mb_closed = 1;
	drop_locked(mb);
	pthread_mutex_unlock(&mb->mb_mu);
}

void
mailbox_free(struct mailbox *mb)
{
	if (mb == NULL)
		return;
	mailbox_close(mb);
	if (mb->mb_ev != NULL)
		event_free(mb->mb_ev);
	if (mb->mb_fd >= 0)
		close(mb->mb_fd);
	pthread_cond_destroy(&mb->mb_cv);
	pthread_mutex_destroy(&mb->mb_mu);
	mb->mb_magic = 0;
	free(mb);
}

static int
enqueue(struct mailbox *mb, mailbox_fn fn, void *arg, int *done)
{
	struct job *j = malloc(sizeof(*j));
	if (j == NULL)
		return -1;
	j->fn = fn;
	j->arg = arg;
	j->done = done;
	j->next = NULL;
	pthread_mutex_lock(&mb->mb_mu);
	if (mb->mb_closed) {
		pthread_mutex_unlock(&mb->mb_mu);
		free(j);
		return -1;
	}
	if (mb->mb_tail != NULL)
		mb->mb_tail->next = j;
	else
		mb->mb_head = j;
	mb->mb_tail = j;
	pthread_mutex_unlock(&mb->mb_mu);
	kick(mb);
	return 0;
}

int
mailbox_post(struct mailbox *mb, mailbox_fn fn, void *arg)
{
	return enqueue(mb, fn, arg, NULL);
}

int
mailbox_call(struct mailbox *mb, mailbox_fn fn, void *arg)
{
	if (pthread_equal(mb->mb_owner, pthread_self())) {
		fn(arg);
		return 0;
	}
	int done = 0;
	if (enqueue(mb, fn, arg, &done) != 0)
		return -1;
	pthread_mutex_lock(&mb->mb_mu);
	while (done == 0)
		pthread_cond_wait(&mb->mb_cv, &mb->mb_mu);
	pthread_mutex_unlock(&mb->mb_mu);
	return done > 0 ? 0 : -1;
}
