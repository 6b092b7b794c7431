package main

import "fmt"

// pageKind is one of the public reads the mixed load makes.
type pageKind int

const (
	diaryJSON pageKind = iota // GET /api/diary: the whole diary's first page
	diaryHTML                 // GET /diary
	feedRSS                   // GET /feed.rss
	userHTML                  // GET /users/{id}: one writer's diary page
	userJSON                  // GET /api/diary?user_id={id}&limit=1: one writer's newest entry
	pageKinds                 // the number of kinds
)

// String names the kind as the report shows it.
func (k pageKind) String() string {
	switch k {
	case diaryJSON:
		return "GET /api/diary"
	case diaryHTML:
		return "GET /diary"
	case feedRSS:
		return "GET /feed.rss"
	case userHTML:
		return "GET /users/{id}"
	case userJSON:
		return "GET /api/diary?user_id={id}&limit=1"
	}
	return fmt.Sprintf("pageKind(%d)", int(k))
}

// page is one URL the readers load: a kind and, for a user's page, the
// writer's index (allWriters otherwise).
type page struct {
	Kind pageKind
	User int
}

// isJSON reports whether the page's answer is read for its newest entry
// (a JSON diary page) rather than judged by its ETag.
func (p page) isJSON() bool { return p.Kind == diaryJSON || p.Kind == userJSON }

// isUsers reports whether the page is one writer's (p.User).
func (p page) isUsers() bool { return p.Kind == userHTML || p.Kind == userJSON }

// writerGroup is the group of writes the page must show: its user's, or
// every writer's for a page of the whole diary.
func (p page) writerGroup() int {
	if p.isUsers() {
		return p.User
	}
	return allWriters
}

// path is the page's path and query, given the writers' user IDs.
func (p page) path(userIDs []string) string {
	switch p.Kind {
	case diaryJSON:
		return "/api/diary"
	case diaryHTML:
		return "/diary"
	case feedRSS:
		return "/feed.rss"
	case userHTML:
		return "/users/" + userIDs[p.User]
	case userJSON:
		return "/api/diary?user_id=" + userIDs[p.User] + "&limit=1"
	}
	panic("mixedload: unknown page kind")
}
