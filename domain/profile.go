package domain

import (
	"strings"
	"unicode/utf8"
)

// DisplayName is the name a user chose to be shown by on public pages,
// feeds and API answers, instead of their email address, which is never
// public. 1 to 50 characters, trimmed, no control characters.
type DisplayName struct{ v string }

// MaxDisplayNameChars is the longest display name, in characters.
const MaxDisplayNameChars = 50

// NewDisplayName trims s and validates it (field display_name).
func NewDisplayName(s string) (DisplayName, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return DisplayName{}, fieldErr("display_name", "must not be empty")
	case utf8.RuneCountInString(s) > MaxDisplayNameChars:
		return DisplayName{}, fieldErr("display_name", "must be at most 50 characters")
	case !utf8.ValidString(s):
		return DisplayName{}, fieldErr("display_name", "must be valid UTF-8")
	case hasControl(s, false):
		return DisplayName{}, fieldErr("display_name", ruleNoControl)
	}
	return DisplayName{s}, nil
}

// MustNewDisplayName panics on an invalid name; for tests only.
func MustNewDisplayName(s string) DisplayName { return mustParse(NewDisplayName(s)) }

// String returns the name.
func (n DisplayName) String() string { return n.v }

// IsZero reports whether no name was chosen.
func (n DisplayName) IsZero() bool { return n.v == "" }

// PublicName is what pages, feeds and the API show of a user to others:
// the display name they chose, or "Diarist" and the last 8 hex digits of
// their ID while they have chosen none. Never the email address.
//
// The last digits, not the first: an ID is a UUIDv7, whose first 8 digits
// are the top of its millisecond timestamp and stay the same for about 65
// seconds, so accounts made within a minute of each other would share a
// name; its last digits are random.
func PublicName(id UserID, name DisplayName) string {
	if !name.IsZero() {
		return name.v
	}
	s := id.String()
	return "Diarist " + s[max(len(s)-8, 0):]
}

// PublicName is the user's name as others see it (PublicName).
func (u User) PublicName() string { return PublicName(u.ID, u.DisplayName) }

// VisibleTo reports whether the user's diary may be shown to viewer: a
// public diary to anyone, a private one to its owner only. A zero viewer is
// someone signed out.
func (u User) VisibleTo(viewer UserID) bool {
	return !u.Private || (!viewer.IsZero() && viewer == u.ID)
}

// ProfileUpdate changes a user's public profile; nil fields stay as they
// are.
type ProfileUpdate struct {
	// DisplayName, when not nil, is the new display name; a pointer to the
	// zero DisplayName removes it.
	DisplayName *DisplayName
	// Private, when not nil, makes the diary private (true) or public.
	Private *bool
}

// IsZero reports whether the update changes nothing.
func (p ProfileUpdate) IsZero() bool { return p.DisplayName == nil && p.Private == nil }

// Apply returns u with p applied.
func (p ProfileUpdate) Apply(u User) User {
	if p.DisplayName != nil {
		u.DisplayName = *p.DisplayName
	}
	if p.Private != nil {
		u.Private = *p.Private
	}
	return u
}
