/* Mailbox: jobs run on the owner's thread, in order; calls wait; a closed
 * mailbox refuses jobs and wakes waiters. Per-address counters. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/event.h>

#include "net/peers.h"
#include "util/mailbox.h"

struct owner {
	struct event_base *base;
	struct mailbox    *mb;
	pthread_t          thread;
	pthread_mutex_t    mu;
	pthread_cond_t     cv;
	int                ready;
	int                seen[64];
	int                nseen;
};

static void *
owner_main(void *arg)
{
	struct owner *o = arg;
	o->base = event_base_new();
	o->mb = mailbox_new(o->base);
	pthread_mutex_lock(&o->mu);
	o->ready = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	event_base_dispatch(o->base);
	return NULL;
}

static void
owner_start(struct owner *o)
{
	memset(o, 0, sizeof(*o));
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	assert_int_equal(pthread_create(&o->thread, NULL, owner_main, o), 0);
	pthread_mutex_lock(&o->mu);
	while (!o->ready)
		pthread_cond_wait(&o->cv, &o->mu);
	pthread_mutex_unlock(&o->mu);
	assert_non_null(o->mb);
}

struct job { struct owner *o; int n; pthread_t ran_on; };

static void
record(void *arg)
{
	struct job *j = arg;
	j->o->seen[j->o->nseen++] = j->n;
	j->ran_on = pthread_self();
}

static void
stop(void *arg)
{
	struct owner *o = arg;
	event_base_loopexit(o->base, NULL);
}

static void
test_posts_run_in_order_on_the_owner(void **state)
{
	struct owner o;
	struct job jobs[32];
	owner_start(&o);
	for (int i = 0; i < 32; i++) {
		jobs[i] = (struct job){ &o, i, pthread_self() };
		assert_int_equal(mailbox_post(o.mb, record, &jobs[i]), 0);
	}
	/* a call is queued behind the posts, so when it returns they all ran */
	struct job last = { &o, 99, pthread_self() };
	assert_int_equal(mailbox_call(o.mb, record, &last), 0);
	assert_int_equal(o.nseen, 33);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(o.seen[i], i);
		assert_true(pthread_equal(jobs[i].ran_on, o.thread));
	}
	assert_int_equal(o.seen[32], 99);
	assert_int_equal(mailbox_call(o.mb, stop, &o), 0);
	pthread_join(o.thread, NULL);
	/* the owner is gone: closing refuses new jobs instead of hanging */
	mailbox_close(o.mb);
	assert_int_equal(mailbox_call(o.mb, record, &last), -1);
	assert_int_equal(mailbox_post(o.mb, record, &last), -1);
	assert_int_equal(o.nseen, 33);
	mailbox_free(o.mb);
	event_base_free(o.base);
}

struct waiter {
	struct mailbox *mb;
	struct job     *job;
	int             rc;
};

static void *
wait_call(void *arg)
{
	struct waiter *w = arg;
	w->rc = mailbox_call(w->mb, record, w->job);
	return NULL;
}

static void
test_close_wakes_a_waiting_call(void **state)
{
	/* a mailbox whose owner (this thread) never runs its loop */
	struct event_base *base = event_base_new();
	struct mailbox *mb = mailbox_new(base);
	struct owner o;
	memset(&o, 0, sizeof(o));
	struct job j = { &o, 1, pthread_self() }, k = { &o, 2, pthread_self() };

	/* from the owner's own thread a call runs at once */
	assert_int_equal(mailbox_call(mb, record, &j), 0);
	assert_int_equal(o.nseen, 1);
	/* from another thread it waits; closing wakes it with -1, the job not run */
	struct waiter w = { mb, &k, 0 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wait_call, &w), 0);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	mailbox_close(mb);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, -1);
	assert_int_equal(o.nseen, 1);
	assert_int_equal(mailbox_post(mb, record, &k), -1);
	mailbox_free(mb);
	event_base_free(base);
}

static void
test_peers_count_per_address(void **state)
{
	struct peers *p = peers_new();
	struct sockaddr_in a = { .sin_family = AF_INET }, b = a;
	struct sockaddr_in6 m = { .sin6_family = AF_INET6 };
	uint8_t ka[PEER_KEY_LEN], kb[PEER_KEY_LEN], km[PEER_KEY_LEN];

	inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
	a.sin_port = htons(1000);
	inet_pton(AF_INET, "127.0.0.3", &b.sin_addr);
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &m.sin6_addr);
	m.sin6_port = htons(2000);
	peers_key((struct sockaddr *)&a, ka);
	peers_key((struct sockaddr *)&b, kb);
	peers_key((struct sockaddr *)&m, km);
	assert_memory_equal(ka, km, PEER_KEY_LEN); /* IPv4-mapped is the same client; ports do not count */
	assert_memory_not_equal(ka, kb, PEER_KEY_LEN);
	assert_int_equal(peers_add(p, ka), 1);
	assert_int_equal(peers_add(p, km), 2);
	assert_int_equal(peers_add(p, kb), 1);
	peers_del(p, ka);
	assert_int_equal(peers_add(p, ka), 2);
	peers_del(p, ka);
	peers_del(p, ka);
	peers_del(p, ka); /* one too many: ignored */
	assert_int_equal(peers_add(p, ka), 1);
	peers_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posts_run_in_order_on_the_owner),
		cmocka_unit_test(test_close_wakes_a_waiting_call),
		cmocka_unit_test(test_peers_count_per_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
