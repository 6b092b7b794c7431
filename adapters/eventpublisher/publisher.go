package eventpublisher

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// ErrClosed is returned (wrapped) by Publish after shutdown began. It wraps
// domain.ErrUnavailable, so callers may treat it as a temporary outage.
var ErrClosed = fmt.Errorf("event publisher closed: %w", domain.ErrUnavailable)

// ChannelPublisher is the publishing end of the in-process channel. It
// implements domain.EventPublisher and is safe for concurrent use,
// including Publish concurrent with Close.
type ChannelPublisher struct {
	ch   chan domain.Event
	done chan struct{} // closed by Close

	// mu orders Close against the start of a Publish: a Publish that saw
	// closed == false is counted in inflight before Close can finish, so
	// the worker waits for it before its final drain.
	mu        sync.RWMutex
	closed    bool
	inflight  sync.WaitGroup
	closeOnce sync.Once

	onPublish func(domain.EventName, error)
}

var _ domain.EventPublisher = (*ChannelPublisher)(nil)

// CreateEventChannel returns the two ends of a buffered channel of
// cfg.ChannelBuffer events: the publisher the use cases get, and the worker
// that calls handlers, in this order, for each event, retrying it by
// cfg.Retry. Start the worker with go worker.Run(ctx); see the package
// documentation for shutdown.
func CreateEventChannel(cfg Config, handlers []delivery.Handler, opts ...Option) (*ChannelPublisher, *EventWorker) {
	o := buildOptions(opts)
	p := &ChannelPublisher{
		ch:        make(chan domain.Event, cfg.buffer()),
		done:      make(chan struct{}),
		onPublish: o.onPublish,
	}
	w := &EventWorker{
		pub:          p,
		invoker:      delivery.NewInvoker(handlers, delivery.WithLogger(o.logger), delivery.WithHandledHook(o.onHandled)),
		retry:        cfg.Retry,
		logger:       o.logger,
		onAttempt:    o.onAttempt,
		drainTimeout: o.drainTimeout,
	}
	return p, w
}

// Publish queues e for the worker, waiting for buffer space or for ctx.
// It returns an error wrapping ctx's error and domain.ErrUnavailable when
// ctx ends first, an error wrapping ErrClosed once shutdown began, and an
// error wrapping domain.ErrValidation for a nil event. An event for which
// Publish returned nil is handled, even during shutdown.
func (p *ChannelPublisher) Publish(ctx context.Context, e domain.Event) error {
	if e == nil {
		return p.report("", fmt.Errorf("eventpublisher: publish: %w",
			domain.FieldError{Field: "event", Rule: "must not be nil"}))
	}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return p.report(e.EventName(), fmt.Errorf("eventpublisher: publish %s: %w", e.EventName(), ErrClosed))
	}
	p.inflight.Add(1)
	p.mu.RUnlock()
	defer p.inflight.Done()

	// Fast path: room in the buffer.
	select {
	case p.ch <- e:
		return p.report(e.EventName(), nil)
	default:
	}
	select {
	case p.ch <- e:
		return p.report(e.EventName(), nil)
	case <-p.done:
		return p.report(e.EventName(), fmt.Errorf("eventpublisher: publish %s: %w", e.EventName(), ErrClosed))
	case <-ctx.Done():
		return p.report(e.EventName(), fmt.Errorf("eventpublisher: publish %s: waiting for buffer space: %w (%w)",
			e.EventName(), ctx.Err(), domain.ErrUnavailable))
	}
}

func (p *ChannelPublisher) report(name domain.EventName, err error) error {
	if p.onPublish != nil {
		p.onPublish(name, err)
	}
	return err
}

// Close starts shutdown: later Publish calls fail with ErrClosed, and the
// worker drains what was accepted, then its Run returns. Close does not
// wait for the drain. It is idempotent and always returns nil.
func (p *ChannelPublisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.done)
	})
	return nil
}

// Len returns how many events wait in the buffer right now.
func (p *ChannelPublisher) Len() int { return len(p.ch) }

// errAlreadyRunning is returned by a second Run.
var errAlreadyRunning = errors.New("eventpublisher: worker already running")
