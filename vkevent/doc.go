// Package vkevent is the model of VK's community events, the ones Bots Long
// Poll answers carry and the Callback API posts: the envelope (Event), a Go
// type for every definition of the schema's callback/objects.json
// (generated, see SchemaCommit), typed access to an event's object, the
// decoders of a Bots Long Poll answer and of a Callback body, and the
// handler type that the Long Poll client and the Callback receiver share.
//
// # Tolerance
//
// VK's wire is loose, and a bot must not stop on it, so decoding is
// tolerant by design:
//   - the envelope's fields come in any order, v may be absent, group_id
//     may be a number or a string, a body may end in "\r\n";
//   - a Long Poll ts is a string or a number;
//   - an unknown event type is an Event like any other (its Object kept
//     raw, Decode returns it as json.RawMessage); unknown envelope fields
//     are kept in Extra, unknown object fields stay in Object;
//   - typed objects decode field by field: a number sent as a string, a
//     boolean sent as 0/1, an object where the schema says string (VK's
//     payloads) are accepted; a field that fits nowhere is left zero,
//     never an error (its bytes are still in Object);
//   - message_new arrives in the shape the community's Long Poll or
//     Callback settings choose: {"message":{...},"client_info":{...}} from
//     API 5.103 on, the bare legacy message before (with body and
//     user_id); MessageNew fills Message from either (see MessageObject).
//
// # Speed
//
// Decoding reads each byte once. DecodeLongPoll and DecodeCallback read
// the envelopes in one pass (a single validating reader, reader.go) and
// keep each object raw: an event's object is decoded only when a handler
// asks for it (Decode, the typed accessors, the Router's On methods,
// MessageFields), by a decoder generated for its type that reads each
// member straight into its field, with the tolerance above and no
// reflection. They agree with encoding/json-based decoding on any input
// (FuzzFastDecoderAgrees), including its grammar and nesting limit.
//
// The zero Router routes nothing and ignores every event; a Handler is
// what a transport (vkapi/longpoll, the Callback receiver) calls for each
// event.
package vkevent

//go:generate go run ../internal/genevents -schema ../../shared/vk-api-schema -out objects_gen.go
