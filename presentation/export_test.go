package presentation

import (
	"log/slog"
	"net/http"
	"time"
)

// NewHandlerWithPasswordGate is NewHandler, also returning a function that
// resizes the password gate: how many requests it admits at once and how
// many may wait. Call it only while no request is at the gate.
func NewHandlerWithPasswordGate(cfg Config, svc Services, metrics *Metrics, logger *slog.Logger, now func() time.Time) (http.Handler, func(slots, waiting int), error) {
	s, err := newServer(cfg, svc, metrics, logger, now)
	if err != nil {
		return nil, nil, err
	}
	resize := func(slots, waiting int) {
		s.gate.mu.Lock()
		defer s.gate.mu.Unlock()
		s.gate.free, s.gate.waiting = slots, waiting
	}
	return s.newEcho(), resize, nil
}
