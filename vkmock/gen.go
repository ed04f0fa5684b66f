package vkmock

//go:generate go run ../internal/genschema -schema ../../shared/vk-api-schema -out schema_gen.go
