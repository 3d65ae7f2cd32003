/*
 * GET /events: the last events (up to 1000) as JSON lines; with follow=1
 * the stream of new events as chunked JSON lines until the client goes
 * away. At most EVLOG_MAX_SUBSCRIBERS followers; a follower whose unsent
 * output passes FOLLOW_BACKLOG gets a last "events_dropped" line and is
 * ended, so a slow reader never blocks the gateway or grows its memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "control/control_int.h"
#include "util/evlog.h"

#define FOLLOW_BACKLOG (256 * 1024) /* bytes not yet sent to one follower */

struct ctl_follower {
	struct control           *f_ctl;
	struct evhttp_request    *f_req;
	struct evhttp_connection *f_evcon;
	int                       f_slot;
	struct ctl_follower      *f_next;
};

static void
follower_unlink(struct ctl_follower *f)
{
	struct ctl_follower **pp = &f->f_ctl->followers;
	while (*pp != NULL && *pp != f)
		pp = &(*pp)->f_next;
	if (*pp == f)
		*pp = f->f_next;
	evlog_unsubscribe(f->f_slot);
}

/* The client went away. libevent detaches an unfinished request from a
 * failed connection and leaves it to us: ending it frees it. */
static void
follower_closed(struct evhttp_connection *evcon, void *arg)
{
	struct ctl_follower *f = arg;
	follower_unlink(f);
	if (evhttp_request_get_connection(f->f_req) == NULL)
		evhttp_send_reply_end(f->f_req);
	free(f);
}

/* End the stream from our side with a last line. */
static void
follower_end(struct ctl_follower *f, const char *why)
{
	struct evbuffer *b = evbuffer_new();
	follower_unlink(f);
	evhttp_connection_set_closecb(f->f_evcon, NULL, NULL);
	if (b != NULL) {
		json_t *ev = evlog_new("events_dropped", 0);
		json_object_set_new(ev, "reason", json_string(why));
		char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(ev);
		if (s != NULL) {
			evbuffer_add(b, s, strlen(s));
			evbuffer_add(b, "\n", 1);
			free(s);
		}
		evhttp_send_reply_chunk(f->f_req, b);
		evbuffer_free(b);
	}
	evhttp_send_reply_end(f->f_req);
	free(f);
}

static void
follower_sink(void *arg, const char *line, size_t len)
{
	struct ctl_follower *f = arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(f->f_evcon);
	size_t pending = bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;

	if (pending + len > FOLLOW_BACKLOG) {
		follower_end(f, "the reader lags behind; reconnect and use GET /events for history");
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		follower_end(f, "out of memory");
		return;
	}
	evbuffer_add(b, line, len);
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply_chunk(f->f_req, b);
	evbuffer_free(b);
}

static void
history_sink(void *arg, const char *line, size_t len)
{
	struct evbuffer *out = arg;
	evbuffer_add(out, line, len);
	evbuffer_add(out, "\n", 1);
}

static void
follow(struct control *ctl, struct evhttp_request *req)
{
	struct ctl_follower *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	f->f_ctl = ctl;
	f->f_req = req;
	f->f_evcon = evhttp_request_get_connection(req);
	f->f_slot = evlog_subscribe(follower_sink, f);
	if (f->f_slot < 0 || f->f_evcon == NULL) {
		if (f->f_slot >= 0)
			evlog_unsubscribe(f->f_slot);
		free(f);
		ctl_reply_error(req, 503, "too many event followers (at most %d)",
		    EVLOG_MAX_SUBSCRIBERS);
		return;
	}
	f->f_next = ctl->followers;
	ctl->followers = f;
	evhttp_connection_set_closecb(f->f_evcon, follower_closed, f);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/x-ndjson");
	evhttp_send_reply_start(req, 200, "OK");
	/* a first line, so a client knows it is subscribed */
	struct evbuffer *b = evbuffer_new();
	if (b != NULL) {
		json_t *ev = evlog_new("events_follow", 0);
		char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(ev);
		if (s != NULL) {
			evbuffer_add(b, s, strlen(s));
			evbuffer_add(b, "\n", 1);
			free(s);
		}
		evhttp_send_reply_chunk(req, b);
		evbuffer_free(b);
	}
}

void
ctl_events(struct control *ctl, struct evhttp_request *req)
{
	static const char *const known[] = { "follow", NULL };
	struct evkeyvalq q;
	char err[200];
	int fl;

	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	if (ctl_query(req, &q, known) != 0)
		return;
	int rc = api_query_bool("follow", evhttp_find_header(&q, "follow"), &fl, err, sizeof(err));
	evhttp_clear_headers(&q);
	if (rc != 0) {
		ctl_reply_error(req, 400, "%s", err);
		return;
	}
	if (fl) {
		follow(ctl, req);
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (out == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	(void)evlog_history(EVLOG_RING, history_sink, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/x-ndjson");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

void
ctl_events_stop(struct control *ctl)
{
	while (ctl->followers != NULL)
		follower_end(ctl->followers, "the gateway stops");
}
