// Package eventqueue is a durable queue of VK events on Redis Streams,
// between the transport that receives them (Bots Long Poll, User Long Poll,
// the Callback API) and the handlers that act on them, so that handlers run
// in any number of processes and a crash loses nothing.
//
// A Producer appends each event once: the check of its event_id against the
// events already appended and the append itself are one script, so a
// Callback resend or a Long Poll takeover never appends twice. Only after
// Append returns does the transport record its progress (the Long Poll
// poller's position) or answer "ok" (the Callback receiver): a Producer is a
// vkevent.Handler whose return means "durably queued".
//
// A Consumer reads through a consumer group, hands each event to the same
// vkevent.Handler the transports use, and acknowledges it (XACK) only after
// the handler returned nil.
//
// # Order per peer
//
// The queue is Partitions streams (16 by default). An event goes to the
// partition of its order key (the peer of a message event, or the
// envelope's peer_id (PeerField) for an event the community model does not
// know, such as a User Long Poll update; else its type), so all events of
// one peer are in one stream, in the
// order they were appended. In each consumer group, each partition is held
// by one consumer at a time under a lease (SET NX with a time to live,
// renewed at a third of it), and its holder handles its entries one at a
// time. The consumers of a group share the partitions evenly: each counts
// the live members of the group (a sorted set of heartbeats) and holds at
// most its share, releasing the rest. This keeps order per peer across all
// consumers and scales up to Partitions consumers; a slow peer delays only
// the peers that share its partition.
//
// # Crashes
//
// A consumer that dies stops renewing its leases. When a lease runs out,
// another consumer takes the partition and first claims every entry left
// pending in it (XAUTOCLAIM), in order, before it reads new ones, so
// nothing waits for a dead process and nothing is skipped. What can be
// handled twice is only what was in flight at the crash: an entry whose
// handler ran but whose XACK did not reach Redis (an acknowledgement that
// fails is tried again for up to LeaseTTL, so a Redis restart or failover
// does not cause repeats). After each read, a consumer checks that what
// the group has pending in the partition is exactly what the read got: a
// read whose answer was lost (go-redis sends a command again after a
// network error, and Redis may have run the first) leaves entries pending
// unseen, and they are claimed and handled first. A consumer that stalls
// (not dies) past its renewals hands nothing more to its handler until a
// renewal goes through: each worker knows, on its own monotonic clock,
// the earliest its lease may run out. One case can still break order for a moment: a
// handler that itself runs longer than the lease, while the partition's
// next holder handles the entries after it.
//
// # Failing handlers
//
// An entry whose handler fails is tried again, with backoff, in place (the
// partition waits, to keep order). After MaxDeliveries deliveries (counted
// across crashes) it goes to the dead-letter stream with its last error and
// is acknowledged. Dead lists it, Redrive appends it to its partition again.
//
// # Bounds
//
// Each partition stream holds at most MaxBacklog entries: past that,
// Producer.Append fails with ErrBacklogFull (the Callback receiver answers
// 503 with Retry-After, so VK keeps the events) and Producer.HandleEvent
// waits with backoff (the Long Poll poller slows, and VK keeps the events).
// Consumers trim each stream (XTRIM MINID) to the oldest entry that some
// group still has pending or not yet delivered, so entries every group
// acknowledged go and nothing else does. The de-duplication keys expire
// after DedupTTL; the dead-letter stream keeps at most DeadMax entries.
//
// All keys of one queue share one hash tag ({vkq:NAME}), so its scripts
// run on one shard of a Redis Cluster.
package eventqueue
