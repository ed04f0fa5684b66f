package vkevent

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Validate checks an event against the schema, for a sender that must not
// emit nonsense (vkmock's injected events): a known type, an event_id and
// group_id, and, for a type with an object, an object that is a JSON object
// holding every field the schema marks required. Receivers do not call it:
// they take what VK sends.
func (e *Event) Validate() error {
	if !e.Known() {
		return fmt.Errorf("vkevent: unknown event type %q", e.Type)
	}
	if e.GroupID <= 0 {
		return errors.New("vkevent: group_id must be positive")
	}
	req, hasObject := requiredFields[e.Type]
	if !hasObject {
		return nil
	}
	var fields map[string]json.RawMessage
	if len(e.Object) == 0 || json.Unmarshal(e.Object, &fields) != nil || fields == nil {
		return fmt.Errorf("vkevent: %s needs an object", e.Type)
	}
	for _, f := range req {
		if v, ok := fields[f]; !ok || isNull(v) {
			return fmt.Errorf("vkevent: %s object lacks the required field %q", e.Type, f)
		}
	}
	return nil
}
