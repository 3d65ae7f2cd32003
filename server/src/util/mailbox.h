/*
 * Mailbox: hands work to the thread that runs an event base. Jobs are run
 * in the order they were posted, on the owner's thread, from an eventfd
 * read event, so the owner's data needs no lock. mailbox_call waits for
 * its job; mailbox_post does not.
 */
#ifndef P2SGW_MAILBOX_H
#define P2SGW_MAILBOX_H

#include <event2/event.h>

struct mailbox;

typedef void (*mailbox_fn)(void *arg);

/* Call from the thread that will run base. NULL on failure (eventfd or memory). */
struct mailbox *mailbox_new(struct event_base *base);
/* Runs nothing that is still queued (jobs are dropped, waiters woken). */
void            mailbox_free(struct mailbox *mb);
/* Queue fn(arg) for the owner; 0, or -1 when closed or out of memory. */
int             mailbox_post(struct mailbox *mb, mailbox_fn fn, void *arg);
/* Run fn(arg) on the owner and wait until it returned. From the owner's own
 * thread it runs at once. 0, or -1 if the mailbox is closed (fn not run). */
int             mailbox_call(struct mailbox *mb, mailbox_fn fn, void *arg);
/* No more jobs are accepted; queued ones are dropped and waiters woken. */
void            mailbox_close(struct mailbox *mb);

#endif
