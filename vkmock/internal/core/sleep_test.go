package core

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		start := time.Now()
		if !Sleep(context.Background(), done, time.Minute) || time.Since(start) != time.Minute {
			t.Fatalf("a full wait: %v", time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		start = time.Now()
		if Sleep(ctx, done, time.Hour) || time.Since(start) != time.Second {
			t.Fatalf("ctx ended after 1s: waited %v", time.Since(start))
		}
		if Sleep(ctx, done, 0) {
			t.Fatal("a zero wait on an ended ctx reported true")
		}
		go func() { time.Sleep(time.Second); close(done) }()
		start = time.Now()
		if Sleep(context.Background(), done, time.Hour) || time.Since(start) != time.Second {
			t.Fatalf("done closed after 1s: waited %v", time.Since(start))
		}
		if Sleep(context.Background(), done, 0) {
			t.Fatal("a zero wait after done reported true")
		}
	})
}
