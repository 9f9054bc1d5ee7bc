/*
** subs.h: subscriptions to the public status page. The public subscribe,
** confirm and unsubscribe pages; the admin list under /app/subscribers;
** per-component Atom and RSS feeds; and the hooks that queue one outbox
** row per confirmed subscriber when an incident update or a maintenance
** update is written, or a component's status changes. Delivery itself
** is outbox.c's worker: nothing here touches the network.
*/
#ifndef HS_SUBS_H
#define HS_SUBS_H

#include <stdint.h>

#include "http.h"

/* Public handlers. */
int subs_page(Req *r);         /* GET  /subscribe */
int subs_post(Req *r);         /* POST /subscribe */
int subs_confirm_page(Req *r); /* GET  /subscribe/confirm?token= */
int subs_confirm_post(Req *r); /* POST /subscribe/confirm */
int subs_unsub_page(Req *r);   /* GET  /unsubscribe?token= */
int subs_unsub_post(Req *r);   /* POST /unsubscribe?token= (RFC 8058) */
int subs_feed(Req *r);         /* GET  /feeds/components/{file} */
/* Admin handlers. */
int subs_admin_list(Req *r);   /* GET  /app/subscribers */
int subs_admin_delete(Req *r); /* POST /app/subscribers/{id}/delete */

/*
** Queue hooks: call inside the write transaction that wrote the update,
** after it is written. Each inserts one outbox row per confirmed
** subscriber whose components intersect the incident's (or the window's),
** or who chose all components. 0 or E_DB.
*/
int subs_queue_incident_update(int64_t updateId, int64_t incidentId);
int subs_queue_maintenance_update(int64_t maintenanceUpdateId,
                                  int64_t maintenanceId);

/*
** Component status changes. Inside the write transaction, before changing
** any status, subs_component_mark() reads the newest component_history id
** into *pMark; after the changes, subs_queue_component_updates(mark, ...)
** inserts one 'component_update' outbox row per confirmed subscriber of
** each component whose status changed since the mark (or who chose all
** components): webhooks always, e-mail only when bEmail. Pass bEmail 0
** when the change is part of an incident or maintenance update, whose own
** e-mail already names it (one event, one e-mail). 0 or E_DB.
*/
int subs_component_mark(int64_t *pMark);
int subs_queue_component_updates(int64_t mark, int bEmail);

/* The unsubscribe token of a subscriber with secret zSecret (64 hex):
** HMAC-SHA256(secret, "unsubscribe") as hex into zTok[65]. */
void subs_unsubscribe_token(const char *zSecret, char zTok[65]);

/* CLI: hindsight user email NAME ADDRESS ("" clears). Exit code. */
int subs_cli_user_email(int argc, char **argv);

#endif
