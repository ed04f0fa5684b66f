package vkmock

// The Go control of the world (vkmock/internal/world): snapshots, entities
// put and posts added, the messages sent, and the events of users'
// actions (a message to a community, a button pressed).

// Snapshot returns the world's explicit entities, by id.
func (ctl WorldControl) Snapshot() World { return ctl.s.world.Snapshot() }

// PutUser adds a user to the world or replaces the one with its id.
func (ctl WorldControl) PutUser(u User) error { return ctl.s.world.PutUser(u) }

// PutGroup adds a community or replaces the one with its id.
func (ctl WorldControl) PutGroup(g Group) error { return ctl.s.world.PutGroup(g) }

// PutAlbum adds an album or replaces the one with its id.
func (ctl WorldControl) PutAlbum(a Album) error { return ctl.s.world.PutAlbum(a) }

// AddPost adds a post to a wall (OwnerID negative for a community) and
// returns its id.
func (ctl WorldControl) AddPost(p Post) (int64, error) { return ctl.s.world.AddPost(p) }

// Messages returns the messages delivered by messages.send, oldest first.
func (ctl WorldControl) Messages() []Message { return ctl.s.world.Messages() }

// ClearMessages forgets the delivered messages and their random_ids.
func (ctl WorldControl) ClearMessages() { ctl.s.world.ClearMessages() }

// Inbox stores a message from a user to a community and emits message_new.
func (ctl WorldControl) Inbox(m InboxMessage) (InboxResult, error) {
	r, err := ctl.s.world.Inbox(m)
	if err != nil {
		return InboxResult{}, err
	}
	return InboxResult{Message: r.Message, Payload: r.Payload, Event: EmittedEvent(r.Event)}, nil
}

// PressButton emits a message_event, as a user pressing a callback button.
func (ctl WorldControl) PressButton(p ButtonPress) (ButtonResult, error) {
	r, err := ctl.s.world.PressButton(p)
	if err != nil {
		return ButtonResult{}, err
	}
	return ButtonResult{EventID: r.EventID, Event: EmittedEvent(r.Event)}, nil
}

// ButtonAnswered reports whether messages.sendMessageEventAnswer answered
// the press with this event_id.
func (ctl WorldControl) ButtonAnswered(eventID string) bool {
	return ctl.s.world.ButtonAnswered(eventID)
}

// Inject validates an event against the schema (a known type, an
// object with the fields the schema requires) and emits it.
func (ctl LongPollControl) Inject(e InjectedEvent) (EmittedEvent, error) {
	ev, err := ctl.s.world.Inject(e)
	return EmittedEvent(ev), err
}
