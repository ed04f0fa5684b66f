package vkerr

// The unredacted encodings a server sends (MarshalWire); MarshalJSON of the
// error types redacts.

// MarshalWire encodes the envelope as a server sends it, with the errors'
// MarshalWire: for servers such as vkmock; never log it.
func (env Envelope) MarshalWire() ([]byte, error) {
	b := []byte{'{'}
	if env.Response != nil {
		b = append(append(b, `"response":`...), env.Response...)
	}
	if env.Error != nil {
		e, err := env.Error.MarshalWire()
		if err != nil {
			return nil, err
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(append(b, `"error":`...), e...)
	}
	if len(env.ExecuteErrors) > 0 {
		ee, err := env.ExecuteErrors.MarshalWire()
		if err != nil {
			return nil, err
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(append(b, `"execute_errors":`...), ee...)
	}
	return append(b, '}'), nil
}

// MarshalWire encodes the members as a server sends them (see
// Error.MarshalWire); nil members are left out.
func (ee ExecuteErrors) MarshalWire() ([]byte, error) {
	b := []byte{'['}
	for _, e := range ee {
		if e == nil {
			continue
		}
		w, err := e.MarshalWire()
		if err != nil {
			return nil, err
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, w...)
	}
	return append(b, ']'), nil
}
