// Package vkmock is a local VK API server for tests: it knows every method
// of the official schema, validates requests against it, answers from a
// small seeded world or with responses synthesised from the response
// schemas, runs execute with a VKScript interpreter, holds the captcha,
// validation and confirmation conversations, flood control and quotas on a
// controllable clock, and returns each documented error the way VK does,
// so that any client can be tested offline.
//
//	func TestBot(t *testing.T) {
//		mock := vkmocktest.NewServer(t)
//		client := myvk.New(mock.Tokens().Of(vkmock.TokenGroup).Token, myvk.BaseURL(mock.URL()))
//		mock.Faults().Add(vkmock.Fault{Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
//		...
//	}
//
// New returns the server as an http.Handler; Start serves it on a
// listener and Close ends everything it started. vkmocktest.NewServer
// starts one for a test and closes it when the test ends. The Go control
// API is grouped by surface: s.Tokens(), s.Faults(), s.Challenges(),
// s.Clock(), s.World(), s.LongPoll(), s.UserLongPoll(), s.Callback(),
// s.Uploads(), s.Procedures(), s.Requests(). The binary is `vk mock`;
// docs/vkmock-design.md describes how the package is built.
//
// # Requests
//
// Methods are served at /method/NAME by GET and POST, with parameters in
// the query and in an application/x-www-form-urlencoded or
// multipart/form-data body (query first, then body; the first value of a
// parameter counts, all are echoed). The token is the access_token
// parameter or an "Authorization: Bearer" header. Every VK answer is HTTP
// 200 with Content-Type application/json in the VK envelope, errors
// exactly as vkerr encodes them, with request_params echoing the request
// (without the token, followed by {"key":"method"} and, when a token was
// sent, {"key":"oauth","value":"1"}). Every answer carries a
// Vkmock-Version header.
//
// # The order of the checks
//
// A request is checked in this order; the first failure is the answer.
//
//  0. Reading the request. A verb other than GET, POST or HEAD: 9999. A
//     body over the limit (8 MiB, WithMaxBodyBytes), more parameters than
//     the limit (1000, WithMaxParams), a malformed query, form or
//     multipart body: 8 "Invalid request: <detail>".
//  1. Injected failures: the X-Vkmock-Error header (CODE or CODE:SUBCODE,
//     then optionally "; lenient"), then the fault rules of the phase
//     "before" (see Fault). A request they answer is not checked further
//     and does not count against rate limits. The header's 14 is passed
//     by the right answer to its captcha, its 24 by confirm=1.
//  2. v missing: 8 "Invalid request: v is required".
//  3. Unknown method, names compared case-sensitively: 3. execute.NAME
//     exists while a stored procedure NAME does.
//  4. The token. None, for a method that is not open (auth.restore is):
//     5 "User authorization failed: no access_token passed.". Unknown:
//     5 "...: invalid access_token (4).". Expired: 5 "...: access_token has
//     expired.". Revoked: 5 "...: invalid session.". Banned: 5 "...: user
//     is blocked." with ban_info. Deactivated: 3610. Then the challenge
//     raised on the token (Challenges().SetToken): 17 or 3300-3304 with
//     redirect_uri, 3609, 3610 or 3611.
//  5. The token's app. A disabled app without test_mode=1: 2. test_mode=1
//     while the app is enabled and the token is not a user token: 11.
//  6. HTTPS only (WithHTTPSOnly): a request over plain HTTP: 16.
//  7. The token kind against the method's access_token_type: a community
//     token 27 "Group authorization failed: method is unavailable with
//     group auth.", a service token 28 "Application authorization failed:
//     method is unavailable with service token.", a user token 15 "Access
//     denied: no access to call this method". (The schema gives the
//     bugtracker.* methods no kinds; they take user tokens.)
//  8. Parameters, in the schema's order of the method's parameters, after
//     a check that every key and value is valid UTF-8 (else "<name> is
//     invalid"): 100 "One of the parameters specified was missing or
//     invalid: <detail>", where the detail names the parameter: "<p> is
//     undefined" (required and missing or empty), "<p> not integer", "<p>
//     not number", "<p> should be greater or equal to N", "<p> should be
//     less or equal to N", "<p> is invalid" (enum, boolean, malformed
//     item), "<p> is too long, max N characters", "<p> is too short, min N
//     characters", "<p> has too many items, max N", "<p> has too few items,
//     min N". Arrays are comma-separated; string enums compare without
//     regard to case. Parameters the schema does not list are ignored.
//  9. Rate limit, per token: 6. At most 3 requests in any rolling second
//     for user and service tokens, 20 for community tokens; secure.*
//     methods are counted apart, at 5, 8, 20 or 35 by the installs of the
//     token's app (under 10 000, up to 100 000, up to 1 000 000, more);
//     ads.* methods are not limited. Only requests that pass are counted,
//     so no one-second window ever holds more than the limit of answered
//     requests. An execute counts once, whatever it calls. The mock's
//     clock (see Clock) makes the window testable; WithRateLimits(false)
//     or SetRateLimits(false) turns the limits off.
//  10. A captcha answer (see Challenge flows): a request with captcha_sid and a
//     wrong captcha_key, an unknown sid, a sid issued to another token, or
//     a wrong success_token gets a fresh captcha (14, captcha_attempt one
//     more). The right answer, not used before, solves the captcha; a
//     right answer already used counts as no answer.
//  11. Captcha rules (CaptchaRule): 14 after Threshold similar calls in
//     the window, unless the request solved a captcha at check 10.
//  12. Confirmation rules (ConfirmRule): 24 with confirmation_text unless
//     confirm=1; then a confirmation asked by an injected 24 (not
//     lenient): 24 again to the same request (token, method, parameters)
//     without confirm=1.
//  13. Flood rules (FloodRule): 9 per (token, method, target) past a
//     threshold in a window, then for a cooldown.
//  14. Quota rules (QuotaRule): 29 per (token, method) past the quota of
//     the mock's current day (UTC).
//  15. The answer: from the world for the world methods (which add their
//     own errors about the target: 18, 30, 15, 203, 113, 100, 214, 300,
//     902), by running the script for execute, else synthesised from the
//     method's response schema.
//  16. The fault rules of the phase "after": the method has acted, and the
//     rule replaces or spoils its answer (an error, an HTML status, a
//     reset, a truncated body, a delay).
//
// A method returns a non-global error only if its schema lists it: fault
// rules with such an error skip the other methods, and X-Vkmock-Error with
// such a code is refused with 8.
//
// # Responses
//
// The response variant is the one whose parameters the request sets
// (extendedResponse for extended=1, fieldsResponse for fields, ...), else
// "response". Values are drawn from a random stream seeded by the server
// seed, the method, the variant and the parameters, so the same request
// always gets the same answer. Parameters are echoed into same-named fields
// when the value fits the field; a list of objects asked for with a *_ids
// parameter has one element per id, carrying it; a list named items has
// count elements (at most 100) and the count beside it is at least offset
// plus that.
//
// # The world
//
// The world is deterministic from the seed. The owner of the preloaded
// user token (DefaultUserID, screen name mock_owner) is active;
// WorldFriendID (mock_friend) is active; WorldDeletedUserID and
// WorldBannedUserID are deactivated; WorldPrivateUserID (mock_private) has
// a private profile. The preloaded community DefaultGroupID
// (mock_community) is open; WorldClosedGroupID (mock_closed, DefaultUserID
// a member) is closed; WorldPrivateGroupID (mock_private_club) is private.
// DefaultUserID has the albums WorldMainAlbumID and WorldFullAlbumID (full);
// every one of these users and communities has three posts. Any other user
// id up to MaxUserID, community id up to MaxGroupID, idN, clubN or publicN
// is an ordinary active user or open community named from the seed.
// PutUser, PutGroup, PutAlbum, AddPost (and POST /__vkmock/world/...) edit
// the world; Reset restores it.
//
// These methods answer from it (others are synthesised):
//
//	users.get                 user_ids (ids or screen names; none: the token's user); 113 for an invalid or unknown id
//	groups.getById            group_ids or group_id (none: the token's community); 100 "<p> is undefined" for an invalid one
//	wall.get                  owner_id or domain (none: the caller); 18, 30, 15 (closed), 203 (private)
//	wall.post                 stores the post; 18, 214 for a wall the caller may not post on, 100 without message
//	photos.getAlbums          as wall.get
//	photos.getUploadServer    300 for a full album, 200 for another's; then an upload_url as below
//	*.get*UploadServer, photos.save*, docs.save: uploads (internal/uploads: signed URLs, the upload endpoint, saves stored once)
//	messages.send             see below
//	utils.resolveScreenName   {"type","object_id"}, or [] for an unknown name, as VK does
//	utils.getServerTime       the mock's clock
//	account.getAppPermissions the bit mask of the token's scopes
//
// messages.send delivers to peer_id, user_id, chat_id (peer 2000000000 +
// chat_id), domain or peer_ids; the sender is the token's user, or minus
// its community. A message is stored once per (sender, peer, random_id):
// a repeat with the same non-zero random_id answers the first message's id
// and stores nothing, so a client that resends after a lost answer can be
// proven to deliver exactly once (Messages, GET /__vkmock/messages).
// Errors: 18 for a deactivated user, 902 for a private profile, 100 for
// no peer or an empty message.
//
// # Challenge flows
//
// Captcha (14), legacy flow: the error carries captcha_sid, captcha_img (a
// PNG served by the mock at /captcha.php, showing the key's digits),
// captcha_ts (the mock's clock, "seconds.millis") and captcha_attempt.
// The client resends the same request with captcha_sid and captcha_key
// (required); captcha_ts, captcha_attempt, is_sound_captcha and remixstlid
// are accepted and not required. The right key is readable with Captcha
// and GET /__vkmock/captcha/{sid}. VK ID flow (CaptchaRule Flow "vkid"):
// the error also carries redirect_uri (/not_robot_captcha on the mock, a
// page whose POST answers {"success_token": ...}) and remixstlid (a 64-bit
// number above 2^53); the client resends with success_token (required;
// captcha_sid and the rest are accepted). A captcha belongs to the token
// it was issued to.
//
// Validation (17): Challenges().SetToken(token, 17), or a fault rule's 17. The
// error carries redirect_uri, /validate on the mock: a page whose form
// (act=ok) redirects to /blank.html#success=1&access_token=NEW&user_id=ID
// with a new token of the same owner, app and scopes, or (act=cancel, an
// unknown or used page) to /blank.html#fail=1. The old token still answers
// 17. Challenges().CompleteValidation does the same from Go. 3300-3304 work alike, but
// completing the page clears the token's challenge and issues no token.
//
// Confirmation (24): ConfirmRule; the same request with confirm=1 passes.
//
// Flood control (9) and quotas (29): FloodRule and QuotaRule, counted on
// the mock's clock.
//
// # Clock
//
// The mock's clock is WithClock's (time.Now by default) plus an offset
// that Clock().Set and Clock().Advance (POST /__vkmock/clock) change; Reset sets the
// offset back to zero. Rate windows, flood cooldowns, daily quotas,
// captcha_ts, message and post dates, utils.getServerTime and the request
// log read it, so tests move time instead of sleeping.
//
// # execute and VKScript
//
// execute runs the code parameter; execute.NAME runs the stored procedure
// NAME (Procedures().Set, POST /__vkmock/procedures). Both read the other
// parameters as Args.name (strings). Both take user and community tokens.
//
// The language: statements ending with ";" ("var a = 1, b;", assignment
// =, +=, -=, *=, /=, %=, ++ and -- to variables, fields and elements, if /
// else, while, return, delete, blocks); literals (numbers, strings in
// single or double quotes, true, false, null, arrays, objects with
// identifier, string or number keys); + - * / %, == != === !==, < > <= >=
// (numbers with numbers, strings with strings), ! && || (returning an
// operand), ?:, unary - and +; + joins strings and concatenates arrays;
// .length of strings and arrays; member access and indexing (reading from
// false, null or a scalar gives null); expr@.field plucks a field from
// every element; the methods push, pop, shift, unshift, slice, splice,
// indexOf, join, split and substr; parseInt and parseDouble; comments;
// API.section.method({...}) calls, whose parameter values are strings,
// numbers (formatted without a fraction when whole), booleans (1 or 0) or
// arrays (joined with commas). Identifiers must be declared with var
// before use.
//
// Errors: a compile error is 12 "Unable to compile code: <detail> in line
// N" in VK's words, such as
//
//	Unable to compile code: ';' expected, '' found in line 1
//	Unable to compile code: undefined identifier 'x' in line 2
//	Unable to compile code: non-variable in assignment in line 1
//
// A runtime error is 13 "Runtime error
// occurred during code invocation: <detail>": "Comparing values of
// different or unsupported types", "too many API calls" (over 25), "too
// many operations" (over 1000: statements, operators, calls, assignments
// and loop turns), "response size is too big" (over 5 MB), "out of memory"
// (over 32 MB of strings and arrays built). An inner call that fails
// evaluates to false; {method, error_code, error_msg} is appended to
// execute_errors in call order, and a stored procedure whose calls failed
// is listed after them. Inner calls are checked like direct ones: the
// method exists (3; execute itself is refused), the token's kind (27, 28,
// 15), the parameters (100), fault rules whose effect is an error,
// confirmation, flood and quota rules, then the world; they inherit v,
// lang and test_mode, and are neither rate-limited nor logged.
//
// # Faults
//
// Fault rules (Faults().Add, POST /__vkmock/faults) are tried in order, in
// their phase: "before" (check 1, the method does not act) or "after"
// (check 16, the method has acted and its answer is lost or replaced).
// Latency composes; the first rule that fires with an answer wins. An
// injected 14 or 24 is as strict as VK's unless the rule is Lenient. See
// Fault for matching and effects.
//
// # Control API
//
// JSON under /__vkmock/:
//
//	GET    /__vkmock/tokens          list tokens: [{"token","kind","user_id","group_id","app_id","scopes","state","ban_info"}]
//	POST   /__vkmock/tokens          create one from {"kind": ..., ...}; answers it (201)
//	POST   /__vkmock/tokens/state    {"token": ..., "state": "valid"|"expired"|"revoked"|"banned"|"deactivated"}
//	GET    /__vkmock/apps            list apps: [{"id","disabled","installs"}]
//	POST   /__vkmock/apps            add or replace an app
//	GET    /__vkmock/faults          list rules, with "fired" counts
//	POST   /__vkmock/faults          add a rule; answers {"id": ...} (201)
//	DELETE /__vkmock/faults          clear the rules
//	DELETE /__vkmock/faults/{id}     remove a rule
//	GET    /__vkmock/requests        the request log, oldest first: [{"time","http_method","method","token_kind","params":[{"key","value","len"}],"error_code","http_status","fault","effect"}]
//	DELETE /__vkmock/requests        clear the log
//	POST   /__vkmock/reset           back to the initial state, log cleared
//	GET    /__vkmock/settings        {"https_only","rate_limits","seed"}
//	POST   /__vkmock/settings        change https_only and rate_limits
//	GET    /__vkmock/version         {"version","schema","methods"}
//	GET    /__vkmock/clock           {"now","unix","offset_ms"}
//	POST   /__vkmock/clock           one of {"now": RFC 3339}, {"unix": N}, {"advance": "1h"}, {"advance_ms": N}; answers the clock
//	GET    /__vkmock/messages        delivered messages: [{"id","from_id","peer_id","random_id","message","date"}]
//	DELETE /__vkmock/messages        forget them (and their random_ids)
//	GET    /__vkmock/captcha/{sid}   {"sid","key","success_token","attempt","flow","strict","solved"}
//	POST   /__vkmock/tokens/challenge {"token": ..., "error_code": 17|3300-3304|3609-3611|0}
//	POST   /__vkmock/validate        {"redirect_uri": ...}: completes a validation; answers {"access_token"}
//	GET    /__vkmock/challenges      the challenge rules: {"captcha","confirm","flood","quota"}
//	POST   /__vkmock/challenges      replace them (counts restart); DELETE clears them
//	GET    /__vkmock/procedures      [{"name","code"}]
//	POST   /__vkmock/procedures      {"name","code"}: add or replace (code must compile: else 400)
//	DELETE /__vkmock/procedures/{name}
//	GET    /__vkmock/world           {"users","groups","albums","posts"}: the explicit entities
//	POST   /__vkmock/world/users     add or replace a user (also /world/groups, /world/albums; /world/posts adds a post)
//
// Errors of the control API are HTTP 4xx with {"error": "..."}, and
// "field" naming the field of a value out of its range (a latency over 10
// minutes, a clock outside 1970 to 2200, ...). A body must be one JSON
// value.
//
// Secrets (access_token, client_secret, captcha_key, success_token, key,
// sig, and anything shaped like a VK token) never reach the request log
// or the log lines.
//
// # Configuration file
//
// `vk mock --config FILE` and WithConfig(LoadConfig(FILE)) take one JSON
// object; every field is optional, and unknown fields and text after the
// object are errors. A small one:
//
//	{
//	  "seed": 42,
//	  "limits": {"request_log_size": 1000, "posts": 5000},
//	  "timeouts": {"read_ms": 10000, "idle_ms": 60000},
//	  "tokens": [{"token": "my-user-token", "kind": "user", "user_id": 1, "scopes": ["messages"]}],
//	  "faults": [{"method": "messages.*", "probability": 0.2, "error": {"error_code": 10}}],
//	  "procedures": {"hello": "return \"hello, \" + Args.name;"}
//	}
//
// testdata/config-example.json in this package uses every field, and
// docs/vkmock.md in the repository explains them, with the control API,
// for users of any language. The tokens, apps, faults and world entities
// come in addition to the preloaded app (DefaultAppID), tokens (one user,
// one community, one service token, derived from the seed) and world.
// Reset goes back to exactly this state.
//
// # Limits
//
// Every store is bounded by count and by bytes, the oldest entries evicted
// first (Limits, WithLimits, "limits" in the configuration, --max-* flags):
// the request log (10 000 records, 32 MiB, each key and value cut to its
// first 4 KiB, redacted once when stored), messages (100 000, 64 MiB),
// posts (100 000, 64 MiB), compiled execute code (512, 64 MiB). No store
// keeps a slice of a request's body. Every connection times out
// (Timeouts, WithTimeouts, "timeouts", --read-timeout, --write-timeout,
// --idle-timeout, --max-header-bytes): 30 s to send a request, 11 minutes
// to answer it, 2 minutes idle, 1 MiB of headers.
//
// # Schema
//
// The schema is compiled from VKCOM/vk-api-schema by internal/genschema
// into schema_gen.json.gz, embedded; WithSchemaDir (--schema) compiles a
// schema directory at start-up instead.
package vkmock
