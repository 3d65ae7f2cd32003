/* Shared state of the workers (net/net.h). */
#include "net/net.h"

#include <string.h>

#include "net/conn.h"
#include "net/peers.h"
#include "net/worker.h"
#include "util/mailbox.h"

int
net_init(struct net *n, struct snapshot *snap, const struct net_ops *ops, void *app)
{
	memset(n, 0, sizeof(*n));
	if ((n->peers = peers_new()) == NULL)
		return -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->start_cv, NULL);
	n->snap = snapshot_ref(snap);
	n->ops = ops;
	n->app = app;
	return 0;
}

void
net_destroy(struct net *n)
{
	if (n->peers == NULL)
		return;
	snapshot_unref(n->snap);
	peers_free(n->peers);
	n->peers = NULL;
	pthread_cond_destroy(&n->start_cv);
	pthread_mutex_destroy(&n->mu);
}

struct snapshot *
net_snapshot(struct net *n)
{
	pthread_mutex_lock(&n->mu);
	struct snapshot *snap = snapshot_ref(n->snap);
	pthread_mutex_unlock(&n->mu);
	return snap;
}

void
net_set_snapshot(struct net *n, struct snapshot *snap)
{
	snapshot_ref(snap);
	pthread_mutex_lock(&n->mu);
	struct snapshot *old = n->snap;
	n->snap = snap;
	pthread_mutex_unlock(&n->mu);
	snapshot_unref(old);
}

struct foreach_job {
	struct worker *w;
	void         (*fn)(struct conn *c, void *arg);
	void          *arg;
};

static void
foreach_job(void *arg)
{
	struct foreach_job *j = arg;
	for (struct conn *c = TAILQ_FIRST(&j->w->w_conns), *next; c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		j->fn(c, j->arg);
	}
}

void
net_foreach_conn(struct net *n, void (*fn)(struct conn *c, void *arg), void *arg)
{
	for (unsigned i = 0; i < n->nworkers; i++) {
		struct foreach_job j = { n->workers[i], fn, arg };
		if (j.w != NULL && j.w->w_mail != NULL)
			(void)mailbox_call(j.w->w_mail, foreach_job, &j);
	}
}
