package redislimit_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/redislimit"
)

// Four replicas of a bot share one community token: each draws from the
// token's budget in Redis, and keeps to a quarter of it while Redis is
// away. The Redis client gets short timeouts of its own.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr:         "127.0.0.1:6379",
		DialTimeout:  200 * time.Millisecond,
		ReadTimeout:  200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond,
		PoolTimeout:  200 * time.Millisecond,
	})
	defer rdb.Close()
	client := vkapi.New(os.Getenv("VK_TOKEN"),
		vkapi.WithTokenKind(vkapi.KindGroup),
		vkapi.WithLogger(slog.Default()), // says once when Redis goes away, and when it is back
		vkapi.WithSharedLimiter(redislimit.New(rdb, redislimit.Replicas(4), redislimit.KeyPrefix("mybot:"))))
	var users []struct {
		ID int `json:"id"`
	}
	if err := client.Call(context.Background(), "users.get", vkapi.Params{"user_ids": 1}, &users); err != nil {
		fmt.Println(err)
	}
}
