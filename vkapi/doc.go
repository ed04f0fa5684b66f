// Package vkapi is a VK API client that applies each error's documented
// remedy by itself, driven by the vkerr catalogue's classification.
//
//	c := vkapi.New(token)
//	defer c.Close()
//	var id int
//	err := c.Call(ctx, "messages.send", vkapi.Params{"peer_id": 1, "message": "hi"}, &id)
//
// # Token kinds
//
// A token's kind (user, community, service) sets its rate budget and the
// methods it is chosen for. Give it with WithTokenKind, or per token with
// WithTokensOfKind; otherwise the client detects it before the token's first
// request, once, with one groups.getTokenPermissions (which only a
// community token may call: a user token gets 15, a service token 28), and
// a token whose kind cannot be learnt keeps the user budget.
//
// # Lifecycle
//
// Close stops the client: later calls fail with ErrClosed, the calls of an
// open batch too, and every goroutine the client started ends before Close
// returns.
//
// # Transport
//
// Every call is a POST form to BASE/method/NAME with the token only in the
// Authorization: Bearer header, never in a URL, and never to another origin
// than the base URL's (a redirect elsewhere fails with
// ErrCrossOriginRedirect); gzip answers are accepted;
// bodies are read through a size limit (WithMaxBodySize); every wait (the
// rate limiter, backoff, the request itself, hooks) ends when the call's
// context does.
//
// # Remedies
//
//   - Rate limits (6): each token has a strict rolling-window limiter (3
//     requests/s for user and service tokens, 20 for community tokens,
//     secure.* counted apart; see Limit). A slot stays taken until one window
//     after the answer came back, so no network delay can make the server see
//     more than the budget. After an error 6 anyway the token is slowed and
//     the request resent after the window, for as long as MaxElapsed allows
//     (such resends do not count against MaxAttempts).
//   - Retries: an ordered chain of checks (DefaultChecks; each says retry,
//     don't, or no decision, with a reason logged at debug), exponential
//     backoff with full jitter, caps on attempts and on total time
//     (RetryPolicy). Transient failures (1, 10, HTTP 5xx, HTML pages, resets,
//     timeouts) are retried only when repeating is safe: reads, and writes
//     carrying an idempotency key. 5, 7, 15, 18, 100 and their kind are never
//     retried.
//   - Idempotency: methods whose schema has random_id (messages.send) or
//     guid (wall.post) get one, once per call, the same on every resend;
//     and every resend goes out on the token of the first send, since VK
//     deduplicates per sender.
//   - 9 and 29 fail fast with a *CooldownError that says until when; after a
//     29 the method is refused on that token without a network call until
//     then.
//   - Hooks: CaptchaSolver (14), Validator (17), Confirmer (24),
//     TokenRefresher (5, 3609). Without a hook the *vkerr.Error comes back
//     with every field the caller needs. A token renewal runs detached from
//     the context of the call that started it, so the calls sharing it do
//     not fail when that one gives up.
//   - Token pool (WithTokens): tokens share the load; a token that gets 5
//     (with no TokenRefresher) or 3610 leaves the pool, reported once in the
//     log and as a *TokenError (never for a context's end or a hook's error);
//     when none is left, calls fail with ErrNoTokens.
//
// # Batching with execute
//
// One execute request carries up to 25 calls and counts as one request
// against the rate limit. Client.Batch collects calls explicitly and sends
// them as execute requests of at most 25; WithBatching coalesces concurrent
// Calls automatically, so that callers change nothing. Each call keeps its
// own result and error: a false result takes its execute_errors entry
// (checked against the method name), a retryable inner error (1, 10, 6) is
// sent again (a read in a later batch, a keyed write alone on the same
// token, under the same idempotency key), an inner challenge (14, 17, 24)
// is sent again alone when a hook is set. An error of the whole request is
// handled once for the batch. While the rate limiter is busy a partial batch
// stays open and keeps taking calls. execute itself, stored procedures and
// the upload *.save methods are never batched.
//
// # Errors and secrets
//
// Call returns a *CallError (method and attempt count) around a vkerr type,
// a *CooldownError, a *TokenError or a *HookError; errors.Is and errors.As
// see through all of them. No access token, client_secret, captcha_key,
// success_token, Long Poll key or sig ever appears in an error string, a
// log record (WithLogger) or an Observer event: the client masks every
// token it has held wherever a server could echo it.
//
// # The method table
//
// methods_gen.go is generated from the VK API schema (VK API 5.199): each
// method's token kinds, idempotency key and read/write class; LookupMethod
// reads it.
package vkapi

//go:generate go run ../internal/genmethods -schema ../../shared/vk-api-schema -out methods_gen.go
