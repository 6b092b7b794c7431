package wiring_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// countedWrites is a destination that counts the writes it is given.
type countedWrites struct {
	syncBuffer
	writes atomic.Int64
}

func (c *countedWrites) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.syncBuffer.Write(p)
}

// maxPending is the bound LogWriter documents: a Write waits once 1 MiB
// is pending.
const maxPending = 1 << 20

func TestLogWriterKeepsEveryLineWholeAndInOrder(t *testing.T) {
	var dst countedWrites
	w := wiring.NewLogWriter(&dst)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer=%d line=%d %s\n", g, i, strings.Repeat("x", i%50))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(dst.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines written, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "writer=%d line=%d", &g, &i); err != nil || g < 0 || g >= writers {
			t.Fatalf("a line not whole: %q", l)
		}
		if want := fmt.Sprintf("writer=%d line=%d %s", g, next[g], strings.Repeat("x", next[g]%50)); l != want {
			t.Fatalf("line %q, want %q", l, want)
		}
		next[g]++
	}
	if n := dst.writes.Load(); n >= writers*lines {
		t.Errorf("%d writes for %d lines: nothing gathered", n, writers*lines)
	}
	t.Logf("%d lines in %d writes", writers*lines, dst.writes.Load())
}

func TestLogWriterWritesALoneLineAtOnceAndAfterClose(t *testing.T) {
	var dst syncBuffer
	w := wiring.NewLogWriter(&dst)
	fmt.Fprintln(w, "alone")
	deadline := time.Now().Add(5 * time.Second)
	for dst.String() != "alone\n" {
		if time.Now().After(deadline) {
			t.Fatalf("a lone line was not written: %q", dst.String())
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(w, "queued")
	_ = w.Close()
	fmt.Fprintln(w, "after close")
	if got := dst.String(); got != "alone\nqueued\nafter close\n" {
		t.Fatalf("wrote %q", got)
	}
	if err := w.Close(); err != nil { // twice is harmless
		t.Fatal(err)
	}
}

// blocked is a destination that takes nothing until it is let go.
type blocked struct {
	syncBuffer
	let chan struct{}
}

func (b *blocked) Write(p []byte) (int, error) {
	<-b.let
	return b.syncBuffer.Write(p)
}

func TestLogWriterHoldsAtMostOneMebibyteForASlowDestination(t *testing.T) {
	dst := &blocked{let: make(chan struct{})}
	w := wiring.NewLogWriter(dst)
	line := []byte(strings.Repeat("y", 1023) + "\n")
	fmt.Fprintln(w, "first") // taken by the goroutine, which then waits on dst
	time.Sleep(10 * time.Millisecond)
	for range maxPending / len(line) {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	wrote := make(chan struct{})
	go func() {
		_, _ = w.Write(line) // one more than the bound: waits
		close(wrote)
	}()
	select {
	case <-wrote:
		t.Fatal("a Write beyond 1 MiB pending returned while the destination was stuck")
	case <-time.After(50 * time.Millisecond):
	}
	close(dst.let)
	select {
	case <-wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting Write did not return once the destination took the lines")
	}
	_ = w.Close()
	if got, want := len(dst.String()), len("first\n")+(maxPending/len(line)+1)*len(line); got != want {
		t.Fatalf("%d bytes written, want %d", got, want)
	}
}
