/*
 * control_int: what the control API's files share: the control object,
 * replies, body reading and the handlers of each role. Not for use outside
 * control/.
 *
 *   control.c           listener, routing, token, replies; /health /status
 *                       /root.pem /rotate
 *   control_sessions.c  /sessions
 *   control_policy.c    /policy
 *   control_faults.c    /faults
 *   control_events.c    /events (history and followers)
 *   control_package.c   /package
 *   metrics.c           /metrics
 *   control_audit.c     /clients (client audit)
 *   control_report.c    /report /report.csv (the rehearsal report)
 */
#ifndef P2SGW_CONTROL_INT_H
#define P2SGW_CONTROL_INT_H

#include <event2/http.h>
#include <jansson.h>

#include "control/api_body.h"
#include "app/server.h"

struct ctl_follower;

struct control {
	struct server       *srv;
	struct evhttp       *http;
	char                *token;
	struct ctl_follower *followers;  /* GET /events?follow=1 streams */
};

/* Replies: body is consumed. The status text follows the code. */
void ctl_reply_json(struct evhttp_request *req, int code, json_t *body);
void ctl_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
/* 1 if the method is one of allowed (EVHTTP_REQ_* mask); else a 405 naming
 * allow ("GET, PUT") is sent and 0 returned. */
int  ctl_method(struct evhttp_request *req, int allowed, const char *allow);
/* The body as a JSON object, or NULL after a 400 reply. */
json_t *ctl_body(struct evhttp_request *req);
/* Parse the query into q (only the names in known, NULL-terminated);
 * 0, or -1 after a 400 reply. evhttp_clear_headers(q) after a 0. */
int  ctl_query(struct evhttp_request *req, struct evkeyvalq *q, const char *const *known);

void ctl_sessions(struct control *c, struct evhttp_request *req, const char *path);
void ctl_policy(struct control *c, struct evhttp_request *req);
/* A TLS policy's versions ("tls1.2") and ciphers (IANA names) as two new
 * JSON arrays (suites 0-terminated). */
void ctl_tls_lists(int min_minor, int max_minor, const int *suites, json_t **versions,
                   json_t **ciphers);
void ctl_faults(struct control *c, struct evhttp_request *req);
void ctl_events(struct control *c, struct evhttp_request *req);
void ctl_events_stop(struct control *c);
void ctl_metrics(struct control *c, struct evhttp_request *req);
void ctl_clients(struct control *c, struct evhttp_request *req);
void ctl_report(struct control *c, struct evhttp_request *req);
void ctl_report_csv(struct control *c, struct evhttp_request *req);
void ctl_package(struct control *c, struct evhttp_request *req);

/* control_netfaults.c: /faults/network and /faults/network/{id} */
void ctl_netfaults(struct control *ctl, struct evhttp_request *req, const char *path);

#endif
