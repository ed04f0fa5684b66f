package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/eventqueue"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
	"github.com/vkerr/vkerr/vkevent"
)

// userEventType marks a User Long Poll update in the durable queue: the
// event's object is the update's array, as the server sent it.
const userEventType vkevent.Type = "user_longpoll_update"

// userUpdateEvent makes a queue event of a user's update. Its event_id is
// a hash of the user and the update, so that a takeover that hands the
// same update again does not append it twice; its peer (of a message, a
// read, a flag change) goes in the envelope's peer_id, which orders the
// queue's partitions.
func userUpdateEvent(userID int64, u *userlongpoll.Update) (*vkevent.Event, error) {
	raw, err := json.Marshal(u.Fields)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(userID, 10) + ":"))
	h.Write(raw)
	e := &vkevent.Event{Type: userEventType, EventID: hex.EncodeToString(h.Sum(nil)[:20]), Object: raw}
	if peer := userUpdatePeer(u); peer != 0 {
		e.Extra = map[string]json.RawMessage{eventqueue.PeerField: json.RawMessage(strconv.FormatInt(peer, 10))}
	}
	return e, nil
}

// userUpdatePeer is the conversation an update belongs to, 0 for updates
// of no conversation (presence, counters).
func userUpdatePeer(u *userlongpoll.Update) int64 {
	if m, err := u.Message(); err == nil {
		return m.PeerID
	}
	if r, err := u.Read(); err == nil {
		return r.PeerID
	}
	if f, err := u.Flags(); err == nil {
		return f.PeerID
	}
	return 0
}

// userQueueHandler appends each update to the queue (waiting while it is
// full), so the poller records an update only once it is in Redis.
type userQueueHandler struct {
	prod   *eventqueue.Producer
	userID int64
	count  func()
}

func (h userQueueHandler) HandleUpdate(ctx context.Context, u *userlongpoll.Update) error {
	e, err := userUpdateEvent(h.userID, u)
	if err != nil {
		return err
	}
	if err := h.prod.HandleEvent(ctx, e); err != nil {
		return err
	}
	h.count()
	return nil
}

// queuePrinter prints what vk listen --from-queue takes from the queue: a
// community's event as vk listen prints it, a user's update as vk listen
// --user does.
type queuePrinter struct{ *listenPrinter }

func (p queuePrinter) HandleEvent(ctx context.Context, e *vkevent.Event) error {
	if e.Type != userEventType {
		return p.listenPrinter.HandleEvent(ctx, e)
	}
	ups, err := decodeUserUpdates(e.Object)
	if err != nil {
		return err
	}
	for i := range ups {
		if err := p.print(newUserUpdateLine(&ups[i])); err != nil {
			return err
		}
	}
	return nil
}

// userStorePrefix starts the Redis keys of the User Long Poll position
// that vk listen --user --queue keeps beside the queue.
const userStorePrefix = "vk:ulp:"

// runUserToQueue is vk listen --user --queue: the User Long Poll client
// appends each update to the queue, its position kept in the same Redis;
// processes started this way elect one poller, so one killed and started
// again (or a second one waiting) loses nothing.
func runUserToQueue(ctx context.Context, api *vkapi.Client, cfg userlongpoll.Config, q queueFlags, pr *userPrinter, errOut io.Writer) error {
	rdb, prod, err := q.producer(cfg.Logger)
	if err != nil {
		return err
	}
	defer rdb.Close()
	var us []struct {
		ID int64 `json:"id"`
	}
	if err := api.Call(ctx, "users.get", nil, &us); err != nil {
		return &exitError{code: 1, err: errors.New(inWords(err))}
	}
	if len(us) != 1 || us[0].ID <= 0 {
		return &exitError{code: 1, err: errors.New("users.get named no user: is this a user token?")}
	}
	uid := us[0].ID
	cfg.UserID = uid
	cfg.Handler = userQueueHandler{prod: prod, userID: uid, count: pr.count}
	fmt.Fprintf(errOut, "vk listen: appending user %d's updates to queue %q; waiting to be the elected poller\n", uid, q.name)
	err = redisstore.New(rdb, userStorePrefix).RunElected(ctx, uid, 0, func(ctx context.Context, st longpoll.Store, lease redisstore.Lease) error {
		fmt.Fprintf(errOut, "vk listen: elected (fence %d): polling\n", lease.Fence)
		cfg.Store = st
		p := userlongpoll.New(api, cfg)
		defer p.Close()
		return p.Run(ctx)
	})
	if err != nil && ctx.Err() == nil {
		return &exitError{code: 1, err: errors.New(inWords(err))}
	}
	return nil
}
