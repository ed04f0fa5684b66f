module github.com/vkerr/vkerr/benchmarks

go 1.26.0

require (
	github.com/redis/go-redis/v9 v9.23.0
	github.com/vkerr/vkerr v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

require (
	github.com/SevereCloud/vksdk/v3 v3.3.1
	github.com/klauspost/compress v1.18.4 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/text v0.35.0 // indirect
)

replace github.com/vkerr/vkerr => ../
