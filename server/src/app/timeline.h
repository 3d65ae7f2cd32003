/*
 * timeline: the scenario's scheduled events (docs/scenarios.md "timeline")
 * and the renewal rule of the old self-signed gateways
 * ("certificate.renew_after"), as libevent timers of the server's base.
 */
#ifndef P2SGW_TIMELINE_H
#define P2SGW_TIMELINE_H

struct server;
struct timeline;

/* Arm one timer per entry of the current scenario's timeline, relative to
 * now, and the renewal check (run once now, then daily). NULL only when out
 * of memory (logged). */
struct timeline *timeline_start(struct server *s);
/* Disarm and free; NULL is fine. */
void timeline_free(struct timeline *t);

#endif
