package main

import (
	"testing"
	"time"
)

const ms1 = time.Millisecond

// Writes of the checker tests: user 0 logs k1 (sent 10 ms, acknowledged
// 20 ms) and k3 (sent 200 ms, acknowledged 210 ms); user 1 logs k2 (sent
// 30 ms, acknowledged 40 ms). k0 is an older entry, seeded before the run.
var (
	k0 = entryKey{"2020-01-01T00:00:00", "00000000-0000-7000-8000-000000000001"}
	k1 = entryKey{"2026-12-03T10:00:00", "019a0000-0000-7000-8000-000000000001"}
	k2 = entryKey{"2026-12-03T10:00:00", "019a0000-0000-7000-8000-000000000002"}
	k3 = entryKey{"2026-12-03T10:00:01", "019a0000-0000-7000-8000-000000000003"}

	testWrites = []writeRecord{
		{User: 1, Sent: 30 * ms1, Acked: 40 * ms1, Key: k2},
		{User: 0, Sent: 200 * ms1, Acked: 210 * ms1, Key: k3},
		{User: 0, Sent: 10 * ms1, Acked: 20 * ms1, Key: k1},
	}
)

func jsonRead(target int, p page, start time.Duration, newest *entryKey) readRecord {
	r := readRecord{Target: target, Page: p, Start: start, End: start + ms1, Status: 200, Body: uint64(start)}
	if newest != nil {
		r.Newest, r.HasNewest = *newest, true
	}
	return r
}

func htmlRead(target int, p page, start, end time.Duration, body uint64) readRecord {
	return readRecord{Target: target, Page: p, Start: start, End: end, Status: 200, Body: body, ETag: `"x"`}
}

func TestCheckerJudge(t *testing.T) {
	user0 := page{Kind: userJSON, User: 0}
	diary := page{Kind: diaryJSON, User: allWriters}
	userPage := page{Kind: userHTML, User: 0}
	feed := page{Kind: feedRSS, User: allWriters}
	// Earlier answers of the HTML pages the cases below are judged by:
	// body 1 of the user's page was given by a read that ended at 5 ms,
	// before k1 was sent; body 2 at 15 ms, after k1 was sent (10 ms);
	// body 3 of the feed at 25 ms, before k2 was sent.
	history := []readRecord{
		htmlRead(0, userPage, 1*ms1, 5*ms1, 1),
		htmlRead(1, userPage, 12*ms1, 15*ms1, 2),
		htmlRead(1, feed, 22*ms1, 25*ms1, 3),
	}
	tests := []struct {
		name  string
		read  readRecord
		bound time.Duration
		want  verdict
	}{
		{"own newest write shown at once on A", jsonRead(0, user0, 21*ms1, &k1), 0, verdict{Checked: true}},
		{"an older entry after the write was acknowledged on A", jsonRead(0, user0, 21*ms1, &k0), 0, verdict{Checked: true, Stale: true}},
		{"an empty page after the write was acknowledged", jsonRead(0, user0, 21*ms1, nil), 0, verdict{Checked: true, Stale: true}},
		{"an older entry by a read started before the acknowledgement", jsonRead(0, user0, 19*ms1, &k0), 0, verdict{}},
		{"a later write shown, the due one is implied", jsonRead(0, user0, 21*ms1, &k3), 0, verdict{Checked: true}},
		{"another user's write is not due on this user's page", jsonRead(0, user0, 45*ms1, &k1), 0, verdict{Checked: true}},
		{"B within its bound may lag", jsonRead(1, user0, 119*ms1, &k0), 100 * ms1, verdict{}},
		{"B past its bound may not", jsonRead(1, user0, 121*ms1, &k0), 100 * ms1, verdict{Checked: true, Stale: true}},
		{"B past its bound showing the write", jsonRead(1, user0, 121*ms1, &k1), 100 * ms1, verdict{Checked: true}},
		{"whole diary: every writer's newest write is due", jsonRead(0, diary, 41*ms1, &k1), 0, verdict{Checked: true, Stale: true}},
		{"whole diary: the newest of all shown", jsonRead(0, diary, 41*ms1, &k2), 0, verdict{Checked: true}},
		{"whole diary: before any acknowledgement", jsonRead(0, diary, 19*ms1, &k0), 0, verdict{}},
		{"HTML body given before the write was sent", htmlRead(0, userPage, 21*ms1, 22*ms1, 1), 0, verdict{Checked: true, Stale: true}},
		{"HTML body given before the write was sent, by the other process", htmlRead(1, userPage, 21*ms1, 22*ms1, 1), 0, verdict{Checked: true, Stale: true}},
		{"HTML body first given after the write was sent", htmlRead(0, userPage, 21*ms1, 22*ms1, 2), 0, verdict{Checked: true}},
		{"HTML body never given before cannot be judged", htmlRead(0, userPage, 21*ms1, 22*ms1, 9), 0, verdict{}},
		{"HTML body given before, read within B's bound", htmlRead(1, userPage, 21*ms1, 22*ms1, 1), 100 * ms1, verdict{}},
		{"feed: body given before another writer's write was sent", htmlRead(0, feed, 41*ms1, 42*ms1, 3), 0, verdict{Checked: true, Stale: true}},
		{"feed: the same body while only an earlier write was due", htmlRead(0, feed, 39*ms1, 40*ms1, 3), 0, verdict{Checked: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(testWrites, append(append([]readRecord{}, history...), tt.read))
			if got := c.judge(tt.read, tt.bound); got != tt.want {
				t.Errorf("judge = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckerLag(t *testing.T) {
	user0 := page{Kind: userJSON, User: 0}
	tests := []struct {
		name string
		read readRecord
		want time.Duration
	}{
		{"showing every acknowledged write", jsonRead(1, user0, 60*ms1, &k1), 0},
		{"missing k1, acknowledged 40 ms before", jsonRead(1, user0, 60*ms1, &k0), 40 * ms1},
		{"missing k3 only", jsonRead(1, user0, 215*ms1, &k1), 5 * ms1},
		{"missing k1 and k3: the older miss counts", jsonRead(1, user0, 215*ms1, nil), 195 * ms1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(testWrites, []readRecord{tt.read})
			if got := c.lag(tt.read); got != tt.want {
				t.Errorf("lag = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckerETagConflicts(t *testing.T) {
	p := page{Kind: diaryHTML, User: allWriters}
	tests := []struct {
		name  string
		reads []readRecord
		want  int
	}{
		{"one ETag, one body", []readRecord{htmlRead(0, p, 0, ms1, 1), htmlRead(0, p, ms1, 2*ms1, 1)}, 0},
		{"one ETag, two bodies", []readRecord{htmlRead(0, p, 0, ms1, 1), htmlRead(0, p, ms1, 2*ms1, 2)}, 1},
		{"one ETag from two processes is not compared", []readRecord{htmlRead(0, p, 0, ms1, 1), htmlRead(1, p, ms1, 2*ms1, 2)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newChecker(nil, tt.reads).ETagConflicts; got != tt.want {
				t.Errorf("ETagConflicts = %d, want %d", got, tt.want)
			}
		})
	}
}
