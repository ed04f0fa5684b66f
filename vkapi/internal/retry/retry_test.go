package retry

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestClassification(t *testing.T) {
	for _, c := range []struct {
		err              error
		transient, fatal bool
	}{
		{&vkerr.Error{Code: vkerr.Unknown}, true, false},
		{&vkerr.Error{Code: vkerr.Server}, true, false},
		{&vkerr.Error{Code: vkerr.TooMany}, false, false},
		{&vkerr.Error{Code: vkerr.Flood}, false, false},
		{&vkerr.Error{Code: vkerr.RateLimit}, false, false},
		{&vkerr.Error{Code: vkerr.Auth}, false, true},
		{&vkerr.Error{Code: vkerr.Access}, false, true},
		{&vkerr.Error{Code: vkerr.Param}, false, true},
		{fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF), true, false},
		{&vkerr.HTTPError{StatusCode: 502}, true, false},
		{errors.New("something else"), false, false},
		{nil, false, false},
	} {
		if Transient(c.err) != c.transient || Fatal(c.err) != c.fatal {
			t.Errorf("%v: transient %v fatal %v, want %v %v", c.err, Transient(c.err), Fatal(c.err), c.transient, c.fatal)
		}
	}
}
