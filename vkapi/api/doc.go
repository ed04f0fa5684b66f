// Package api is the typed VK API: every method of the official schema
// (VKCOM/vk-api-schema, see SchemaCommit) as a Go method with a params
// struct and a response type, generated, over the same vkapi.Client.
//
//	a := api.New(client)
//	users, err := a.Users.Get(ctx, api.UsersGetParams{UserIDs: []string{"1"}, Fields: []vkobject.UsersFields{"photo_100"}})
//
// API has one field per namespace (a.Users, a.Messages...), each with one
// method per schema method, and a second, ...Extended, for the methods
// with an extended response. A typed call is a vkapi.Client.Call with
// types, nothing else: the rate limiter, retries, hooks, batching and
// redaction of the client apply as they do to Call, and its errors are
// Call's (*vkapi.CallError).
//
// # Params
//
// A params struct has one field per parameter: integers (int64), booleans
// (sent as 1; false is not sent), arrays (joined by commas), enums (named
// types with a constant per value; the schema's shared ones come from
// package vkobject). A zero field is not sent; Extra is sent as it is,
// after the fields, for a zero that matters or a parameter the schema
// lacks. A required parameter left unset fails the call with a
// *MissingParamError, before any request.
//
// # Responses
//
// Responses are named after the schema's definitions (users_get_response
// is UsersGetResponse); an object response has the object's fields, any
// other (an array, a number) has Value. Decoding is tolerant, because VK's
// answers drift from the schema: a number sent as a string, 0/1 for a
// boolean, an object or {} where the schema says array, a field the
// schema does not list, a value of the wrong JSON type — none fails a
// call; the field that does not fit stays zero, and Raw keeps the response
// exactly as VK sent it.
//
// # Errors
//
// Each method's doc comment lists the errors the schema documents for it,
// with the catalogue's remedy; Errors returns the same list, and
// `vk explain --method NAME` prints it.
//
// # Paging
//
// The methods that take offset and count and answer with items and count
// have an ...Iter method (a.Wall.GetIter) that yields the items of page
// after page, optionally packing up to 25 pages into one execute
// (PageOptions); the cursor methods (start_from, next_from) have one that
// follows next_from. A page that fails ends the iteration with a
// *PageError saying where it stopped.
package api

//go:generate go run ../../internal/genapi -schema ../../../shared/vk-api-schema -root ../..
