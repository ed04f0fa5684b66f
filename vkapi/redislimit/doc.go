// Package redislimit keeps the rate budgets of vkapi clients in Redis (with
// github.com/go-redis/redis_rate), so that every process that uses a token
// draws from one budget: replicas of a bot sharing a community token keep
// to its 20 requests per second together.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ReadTimeout: 200 * time.Millisecond})
//	c := vkapi.New(token, vkapi.WithTokenKind(vkapi.KindGroup),
//		vkapi.WithSharedLimiter(redislimit.New(rdb, redislimit.Replicas(4))))
//	defer c.Close()
//
// It is a package of its own so that a program that does not share its
// limits does not compile go-redis. Every process must use the same budget
// (vkapi.Limit), margin and key prefix.
//
// # The schedule
//
// VK, like vkmock, counts a strict rolling window: at most n requests in
// any span of Per. redis_rate keeps GCRA, which with a burst b lets b
// requests through at once and then one per interval, up to about
// b + rate×Per requests in a span of Per: with the obvious burst (n) and
// rate (n per Per) that is twice the budget. And even a burst of 1 is not
// enough, because what Redis spaces evenly reaches the server unevenly: the
// Redis round trip, the scheduler and the network move each request by a
// few milliseconds, so n+1 of them can land within Per.
//
// So the limiter uses GCRA as a ticket dispenser, not as a gate. A token's
// budget is handed out as n slots per Per+margin, one every
// interval = (Per+margin)/n, and each grant is a reservation of one slot:
// its time is the GCRA's theoretical arrival time before the grant, which
// Redis reports (ResetAfter - interval), and the request waits for that
// time before it goes. The burst, lookahead+1, only says how far ahead
// slots may be reserved. Requests therefore leave evenly spaced whatever
// the number of processes, and n+1 of them land within Per only if the
// jitter between slot and arrival exceeds margin (n intervals are Per +
// margin). A request is late when it leaves after its slot: the slot's
// local time is only known within the Redis round trip (Redis read its
// clock somewhere between the request and the answer; the limiter takes
// the answer's time), and the process may wake up late. Lateness is what
// bunches requests up, so it is bounded: a request whose round trip plus
// wake-up delay exceeds the tolerance (Tolerance, by default 1/3 of the
// margin) still goes, and pushes the shared schedule back by the excess
// (the schedule is kept in 1/64ths of a slot), so that the request n slots
// on, reserved about a window later, leaves that much later too. Only a
// request later than the tolerance plus a whole slot gives its slot up and
// reserves another, first in line. The rest of the margin is for the trip
// to the server and the server's own delays: set Margin to cover the
// jitter of that trip on your network (BENCHMARKS.md has the figures: three
// processes against vkmock's strict window for 10 s, on loopback and with
// 50 ms ± 20 ms of latency).
//
// The client's own window stays in front (see vkapi.SharedLimiter): a
// request first takes a slot of its token's window, then its slot in the
// shared schedule. With the schedule at n per Per+margin, the own window
// never binds in steady state.
//
// # When Redis is away
//
// If Redis errors or does not answer within Timeout, the limiter says so
// once in the client's log (a warning) and keeps working on a local share
// of the budget (Replicas, FallbackShare) in the client's strict window,
// after one pause of Per+margin plus the lookahead, so that the requests
// other processes sent on Redis slots have left the server's window before
// fallback requests arrive. While Redis is away and calls keep coming, a
// background probe asks it, at most once per ProbeInterval and within
// Timeout, whether it is back (it runs the limiter's script at a cost of
// zero, taking no slot); callers do not wait for it. A limiter that had no
// calls for a probe interval asks at its next call, and that call waits
// for the answer (at most Timeout) before it goes on the share, for the
// other processes may long be back on Redis. When Redis answers, the
// limiter logs so and draws from it again, still capped at its share for a
// probe interval, the timeout and a window, so that processes not yet back
// on Redis cannot add to a full shared schedule. No call is lost or sent
// twice because of any of this: Redis only decides when requests go. The
// fallback keeps to the budget when every process is cut off from Redis at
// once; a process cut off alone adds its share to the others' full
// schedule (the server then answers 6, which the client retries).
//
// Each token of the client's pool has a schedule of its own, and the
// secure.* methods another. The token itself never goes to Redis: a key is
// the prefix, then the first 32 hex digits of the token's SHA-256, then
// ":secure" for the secure.* budget, and redis_rate adds "rate:" in front.
//
// # Lifecycle
//
// A Limiter serves one client, which closes it on Close. Close stops the
// limiter's goroutines (the reservers, the prober, the Redis calls under
// way) and waits for them; a Redis call under way ends within rdb's own
// timeouts, so give rdb short ones (dial, read, write, pool): the limiter
// stops waiting for a hung call after Timeout, but the call goes on in the
// background until rdb gives up.
package redislimit
