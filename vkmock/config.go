package vkmock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Config is the configuration file of `vk mock --config FILE`, also usable
// through WithConfig. Its format is described in the package documentation.
type Config struct {
	Seed         *int64 `json:"seed,omitempty"`
	HTTPSOnly    bool   `json:"https_only,omitempty"`
	RateLimits   *bool  `json:"rate_limits,omitempty"`
	MaxBodyBytes int64  `json:"max_body_bytes,omitempty"`
	MaxParams    int    `json:"max_params,omitempty"`
	// RequestLogSize is Limits.RequestLogSize, kept for older files.
	RequestLogSize int `json:"request_log_size,omitempty"`
	// Limits bounds the stores (see Limits); unset fields keep their
	// defaults.
	Limits *Limits `json:"limits,omitempty"`
	// Timeouts bounds the connections (see ConfigTimeouts).
	Timeouts *ConfigTimeouts `json:"timeouts,omitempty"`
	Apps     []App           `json:"apps,omitempty"`
	Tokens   []Token         `json:"tokens,omitempty"`
	Faults   []Fault         `json:"faults,omitempty"`
	// Challenges are the captcha, confirmation, flood and quota rules.
	Challenges *Challenges `json:"challenges,omitempty"`
	// Procedures are stored procedures (execute.NAME), by name.
	Procedures map[string]string `json:"procedures,omitempty"`
	// World adds users, communities, albums and posts to the seeded world.
	World *World `json:"world,omitempty"`
}

// ConfigTimeouts are the Timeouts of a configuration file, in
// milliseconds (0 or absent: the default).
type ConfigTimeouts struct {
	ReadMS         int64 `json:"read_ms,omitempty"`
	WriteMS        int64 `json:"write_ms,omitempty"`
	IdleMS         int64 `json:"idle_ms,omitempty"`
	MaxHeaderBytes int   `json:"max_header_bytes,omitempty"`
}

// timeouts converts t, refusing values outside 0 to 24 hours.
func (t ConfigTimeouts) timeouts() (Timeouts, error) {
	var out Timeouts
	var err error
	if out.Read, err = msDuration("timeouts.read_ms", t.ReadMS); err != nil {
		return out, err
	}
	if out.Write, err = msDuration("timeouts.write_ms", t.WriteMS); err != nil {
		return out, err
	}
	if out.Idle, err = msDuration("timeouts.idle_ms", t.IdleMS); err != nil {
		return out, err
	}
	if t.MaxHeaderBytes < 0 {
		return out, fmt.Errorf("vkmock: config: timeouts.max_header_bytes must not be negative")
	}
	out.MaxHeaderBytes = t.MaxHeaderBytes
	return out, nil
}

// ParseConfig decodes a configuration; unknown fields are errors, so that a
// misspelt setting is not silently ignored.
func ParseConfig(r io.Reader) (*Config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	c := &Config{}
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("vkmock: config: %w", err)
	}
	if !atEOF(dec) {
		return nil, fmt.Errorf("vkmock: config: text after the JSON value")
	}
	if c.Limits != nil {
		if err := c.Limits.validate(); err != nil {
			return nil, fmt.Errorf("vkmock: config: %w", err)
		}
	}
	if c.Timeouts != nil {
		if _, err := c.Timeouts.timeouts(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// atEOF reports whether nothing but white space follows the value dec
// decoded.
func atEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}

// LoadConfig reads a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vkmock: config: %w", err)
	}
	return ParseConfig(bytes.NewReader(b))
}
