// Package errs holds Dossier's one error type. Domain code says what went
// wrong with a code and a message a person understands; the HTTP layer maps
// codes to status codes in exactly one place.
package errs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Codes every layer may return.
const (
	Invalid      = "invalid"      // the input is wrong; the message says how
	NotFound     = "not_found"    // the thing asked for does not exist
	Conflict     = "conflict"     // a concurrent change or a duplicate
	Forbidden    = "forbidden"    // signed in but not allowed
	Unauthorized = "unauthorized" // not signed in
	TooLarge     = "too_large"    // a body or file over its limit
	Malformed    = "malformed"    // the request cannot be read at all (bad JSON)
	Unsupported  = "unsupported"  // a request in a form Dossier does not take
	TooMany      = "too_many"     // over a rate limit; try again later
	Unavailable  = "unavailable"  // a store is down; try again later
	Internal     = "internal"     // a bug or an unexpected failure
)

// Error is an error with a code and a message safe to show to the user.
// Err, when set, is the underlying cause: logged, never shown.
type Error struct {
	Code    string
	Message string
	Field   string // for invalid input: the field the message is about
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E makes an error with a code and a formatted message.
func E(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field makes an Invalid error about one input field, so forms can show
// the message next to it and the API can name it.
func Field(field, format string, args ...any) error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// FieldOf returns the field an error is about, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Wrap makes an error with a code and a message, keeping cause for the log.
func Wrap(code string, cause error, message string) error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Code returns the code of err: the code of the first *Error in its chain,
// Internal for any other error, and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the message a user may see for err. Internal errors never
// show their cause.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "Internal error"
}

// Is reports whether err carries code.
func Is(err error, code string) bool { return err != nil && Code(err) == code }

// FieldErrors is every problem found in a form at once, each an *Error
// naming its field ("legal_name", "contacts.0.email"). It is invalid input:
// errors.As finds the first problem as *Error, so Code is Invalid and
// FieldOf names the first field; a form that shows each message beside its
// field takes them all with errors.As(err, &fe) or ByField.
type FieldErrors []*Error

func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Field + ": " + e.Message
	}
	return "invalid: " + strings.Join(msgs, "; ")
}

// Unwrap gives each problem to errors.Is and errors.As.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// ByField returns the messages by field name.
func (fe FieldErrors) ByField() map[string]string {
	m := make(map[string]string, len(fe))
	for _, e := range fe {
		if _, ok := m[e.Field]; !ok {
			m[e.Field] = e.Message
		}
	}
	return m
}

// Fields makes FieldErrors from messages by field, in field order.
func Fields(messages map[string]string) error {
	fe := make(FieldErrors, 0, len(messages))
	for f, m := range messages {
		fe = append(fe, &Error{Code: Invalid, Field: f, Message: m})
	}
	sort.Slice(fe, func(i, j int) bool { return fe[i].Field < fe[j].Field })
	return fe
}

// ByField returns an error's messages by the field each is about: all of
// them for an error that has several (FieldErrors, or any error with a
// ByField method), the one for an error about one field, none otherwise.
func ByField(err error) map[string]string {
	var many interface{ ByField() map[string]string }
	if errors.As(err, &many) {
		return many.ByField()
	}
	out := map[string]string{}
	if f := FieldOf(err); f != "" {
		out[f] = Message(err)
	}
	return out
}
