package world

import (
	"encoding/json"
	"testing"
)

func TestAttachmentsObject(t *testing.T) {
	got := attachmentsObject([]string{"photo1_2", "bad", "doc-5_7_key", "wall3_", "video0_9"})
	b, _ := json.Marshal(got)
	if string(b) != `{"attach1":"1_2","attach1_type":"photo","attach2":"-5_7","attach2_type":"doc","attach3":"0_9","attach3_type":"video"}` {
		t.Fatal(string(b))
	}
	if b, _ := json.Marshal(attachmentsObject(nil)); string(b) != `{}` {
		t.Fatalf("no attachments: %s", b)
	}
}
