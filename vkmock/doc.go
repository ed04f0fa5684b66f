// Package vkmock is a local VK API server for tests: it knows every method
// of the official schema, validates requests against it, answers with
// responses synthesised from the response schemas, and returns each
// documented error the way VK does, so that any client can be tested
// offline.
//
//	func TestBot(t *testing.T) {
//		mock := vkmock.NewServer(t)
//		client := myvk.New(mock.Token(vkmock.TokenGroup).Token, myvk.BaseURL(mock.URL()))
//		mock.AddFault(vkmock.Fault{Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
//		...
//	}
//
// New returns the server as an http.Handler; NewServer starts it on
// httptest and closes it when the test ends. The binary is `vk mock`.
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
//  1. Injected failures: the X-Vkmock-Error header (CODE or CODE:SUBCODE),
//     then the fault rules (see Fault). A request they answer is not
//     checked further and does not count against rate limits.
//  2. v missing: 8 "Invalid request: v is required".
//  3. Unknown method, names compared case-sensitively: 3.
//  4. The token. None, for a method that is not open (auth.restore is):
//     5 "User authorization failed: no access_token passed.". Unknown:
//     5 "...: invalid access_token (4).". Expired: 5 "...: access_token has
//     expired.". Revoked: 5 "...: invalid session.". Banned: 5 "...: user
//     is blocked." with ban_info. Deactivated: 3610.
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
//     requests. WithClock makes the window testable; WithRateLimits(false)
//     turns the limits off.
//  10. The response, synthesised from the method's response schema.
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
// # Faults
//
// Fault rules (AddFault, POST /__vkmock/faults) are tried in order, the
// first that matches and fires wins. See Fault for matching and effects.
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
//	GET    /__vkmock/requests        the request log, oldest first: [{"time","http_method","method","token_kind","params":[{"key","value"}],"error_code","http_status","fault","effect"}]
//	DELETE /__vkmock/requests        clear the log
//	POST   /__vkmock/reset           back to the initial state, log cleared
//	GET    /__vkmock/settings        {"https_only","rate_limits","seed"}
//	POST   /__vkmock/settings        change https_only and rate_limits
//	GET    /__vkmock/version         {"version","schema","methods"}
//
// Errors of the control API are HTTP 4xx with {"error": "..."}.
//
// Secrets (access_token, client_secret, captcha_key, success_token, key,
// sig, and anything shaped like a VK token) never reach the request log
// or the log lines.
//
// # Configuration file
//
// `vk mock --config FILE` and WithConfig(LoadConfig(FILE)) take JSON:
//
//	{
//	  "seed": 42,                   // tokens and answers (flag --seed overrides)
//	  "https_only": false,
//	  "rate_limits": true,
//	  "max_body_bytes": 8388608,
//	  "max_params": 1000,
//	  "request_log_size": 10000,
//	  "apps": [{"id": 51000001, "disabled": false, "installs": 50000}],
//	  "tokens": [{"token": "my-user-token", "kind": "user", "user_id": 1, "scopes": ["messages"]},
//	             {"kind": "group", "group_id": 1, "state": "banned"}],
//	  "faults": [{"method": "messages.*", "probability": 0.2, "error": {"error_code": 10}},
//	             {"method": "users.get", "latency": {"dist": "uniform", "min_ms": 10, "max_ms": 50}}]
//	}
//
// Every field is optional and unknown fields are errors. The tokens,
// apps and faults come in addition to the preloaded app (DefaultAppID)
// and tokens (one user, one community, one service token, derived from
// the seed). Reset goes back to exactly this state.
//
// # Schema
//
// The schema is compiled from VKCOM/vk-api-schema by internal/genschema
// into schema_gen.json.gz, embedded; WithSchemaDir (--schema) compiles a
// schema directory at start-up instead.
package vkmock
