package uploads

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/internal/testimg"
)

// photoAnswer is a photo upload's answer.
type photoAnswer struct {
	Server int64  `json:"server"`
	Photo  string `json:"photo"`
	Hash   string `json:"hash"`
}

// uploadPhoto uploads a distinct photo on a fresh messages URL.
func uploadPhoto(t *testing.T, r *Room, seed int) photoAnswer {
	t.Helper()
	u := uploadURL(t, r, groupToken, "photos.getMessagesUploadServer")
	b := post(t, r, u, "photo", "a.png", testimg.PNG(t, 4, 4, seed))
	var a photoAnswer
	if err := json.Unmarshal(b, &a); err != nil || a.Photo == "" || a.Photo == "[]" {
		t.Fatalf("photo answer %s: %v", b, err)
	}
	return a
}

func save(t *testing.T, r *Room, a photoAnswer) ([]byte, error) {
	t.Helper()
	b, e := call(t, r, groupToken, "photos.saveMessagesPhoto", "server", strconv.FormatInt(a.Server, 10), "photo", a.Photo, "hash", a.Hash)
	if e != nil {
		return nil, e
	}
	return b, nil
}

// TestStoreBounded: the pending and the stored uploads are bounded, the
// oldest forgotten first; Reset forgets them all.
func TestStoreBounded(t *testing.T) {
	r, _ := newTestRoom(t, Deps{MaxPending: 2, MaxStored: 2})
	var answers []photoAnswer
	for i := range 4 {
		answers = append(answers, uploadPhoto(t, r, i))
	}
	if st := r.State(); st.Pending != 2 {
		t.Fatalf("pending %d, want 2 (bounded)", st.Pending)
	}
	if _, err := save(t, r, answers[0]); err == nil {
		t.Fatal("the oldest pending upload was saved after it was forgotten")
	}
	for _, a := range answers[2:] {
		if _, err := save(t, r, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := save(t, r, uploadPhoto(t, r, 9)); err != nil {
		t.Fatal(err)
	}
	if st := r.State(); len(st.Stored) != 2 || st.Pending != 0 {
		t.Fatalf("stored %d, pending %d; want 2 (bounded), 0", len(st.Stored), st.Pending)
	}
	r.Reset()
	if st := r.State(); len(st.Stored) != 0 || st.Pending != 0 {
		t.Fatalf("Reset kept uploads: %+v", st)
	}
}

// TestStoreBytesBounded: the stored objects' bytes are bounded too; the
// newest is kept even when it alone is over the bound.
func TestStoreBytesBounded(t *testing.T) {
	r, _ := newTestRoom(t, Deps{MaxBytes: 1})
	for i := range 3 {
		if _, err := save(t, r, uploadPhoto(t, r, i)); err != nil {
			t.Fatal(err)
		}
	}
	if st := r.State(); len(st.Stored) != 1 || st.Stored[0].Saves != 1 {
		t.Fatalf("stored %+v, want the newest only", st.Stored)
	}
}

// TestSaveTwiceSameObjects: a second save of an upload answers the same
// objects and counts the save; State shares nothing with the room.
func TestSaveTwiceSameObjects(t *testing.T) {
	r, _ := newTestRoom(t, Deps{})
	a := uploadPhoto(t, r, 1)
	first, err := save(t, r, a)
	if err != nil {
		t.Fatal(err)
	}
	second, err := save(t, r, a)
	if err != nil || string(first) != string(second) {
		t.Fatalf("second save: %s %v, first %s", second, err, first)
	}
	st := r.State()
	if len(st.Stored) != 1 || st.Stored[0].Saves != 2 || len(st.Stored[0].Attachments) != 1 {
		t.Fatalf("stored %+v", st.Stored)
	}
	st.Stored[0].Attachments[0] = "changed"
	if r.State().Stored[0].Attachments[0] == "changed" {
		t.Fatal("State shares its attachments with the room")
	}
}
