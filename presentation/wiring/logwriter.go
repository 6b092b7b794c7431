package wiring

import (
	"io"
	"sync"
	"time"
)

// logWriterMaxPending is how much a LogWriter holds before a Write waits
// for the destination.
const logWriterMaxPending = 1 << 20

// logWriterLinger is how long a LogWriter lets lines gather after a write
// before it writes again.
const logWriterLinger = time.Millisecond

// LogWriter passes what is written to it on to another writer from a
// goroutine of its own, so that logging does not wait for the destination:
// on a busy server the request log's write had been a system call in every
// request. A line that comes after a quiet millisecond is written at once;
// the lines that come within a millisecond of a write gather and go out
// together in the next, so a busy server writes its log about a thousand
// times a second whatever its request rate. Each Write stays whole and in
// order. A Write waits once 1 MiB is pending. Close writes what is left; a
// process must call it before it exits. A process killed outright loses at
// most the lines of its last millisecond.
type LogWriter struct {
	w    io.Writer
	wake chan struct{} // a Write came: there may be something to write
	done chan struct{} // closed when the goroutine has written the last

	mu      sync.Mutex
	room    *sync.Cond // a pending batch was taken
	pending []byte
	closed  bool
}

// NewLogWriter starts a LogWriter writing to w.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.room = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// Write queues p for the destination and returns at once, unless 1 MiB is
// already waiting. After Close it writes p itself.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	for !l.closed && len(l.pending) > 0 && len(l.pending)+len(p) > logWriterMaxPending {
		l.room.Wait()
	}
	if l.closed {
		l.mu.Unlock()
		<-l.done // what was queued goes first
		return l.w.Write(p)
	}
	l.pending = append(l.pending, p...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default: // the goroutine is already due to look
	}
	return len(p), nil
}

// Close writes what is queued and stops the goroutine; later Writes go
// straight to the destination.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	l.room.Broadcast()
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.done
	return nil
}

func (l *LogWriter) run() {
	defer close(l.done)
	var spare []byte
	for range l.wake {
		l.mu.Lock()
		batch, closed := l.pending, l.closed
		l.pending = spare[:0]
		l.room.Broadcast()
		l.mu.Unlock()
		if len(batch) > 0 {
			// A log has nowhere to report its own failure; the lines are
			// dropped, as a failed write to stderr would drop them.
			_, _ = l.w.Write(batch)
		}
		if closed {
			return
		}
		time.Sleep(logWriterLinger)
		if cap(batch) > 64<<10 { // after a burst, do not keep its buffer
			batch = nil
		}
		spare = batch
	}
}
