// Package methods is vkmock's room of the API methods as the schema
// describes them: the table of methods compiled from VKCOM/vk-api-schema
// (embedded, or a schema directory), the token kinds each method takes,
// the errors it lists, the validation of its parameters (error 100 in
// VK's words) and the synthesis of its answers from the response schema,
// seeded and cached, so the same request always gets the same answer.
package methods

//go:generate go run ../../../internal/genschema -schema ../../../../shared/vk-api-schema -pkg methods -out schema_gen.go
