package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func reviewLogged(t *testing.T) domain.ReviewLogged {
	t.Helper()
	m := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Tokyo Story", 1953, "")
	u := porttest.NewUser(t, "owner@example.com")
	return domain.NewReviewLogged(porttest.NewReview(t, m.ID, u.ID, 5, porttest.FixtureTime), porttest.FixtureTime)
}

func TestLocalSinkRunsEveryHandlerInOrder(t *testing.T) {
	t.Parallel()
	e := reviewLogged(t)
	var order []string
	type handled struct {
		handler string
		err     error
	}
	var hooks []handled
	h := func(name string, err error) delivery.Handler {
		return delivery.HandlerFunc(name, func(ctx context.Context, got domain.Event) error {
			if got.EventID() != e.EventID() {
				t.Errorf("%s got event %s", name, got.EventID())
			}
			order = append(order, name)
			return err
		})
	}
	logs := &syncBuffer{}
	sink := outbox.LocalSink([]delivery.Handler{
		h("first", nil),
		delivery.HandlerFunc("panics", func(context.Context, domain.Event) error {
			order = append(order, "panics")
			panic("bug")
		}),
		nil,
		h("last", nil),
	},
		outbox.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
		outbox.WithHandledHook(func(name domain.EventName, handler string, err error) {
			hooks = append(hooks, handled{handler, err})
		}))
	err := sink.Deliver(context.Background(), e, 1)
	var pe *delivery.PanicError
	if !errors.As(err, &pe) || pe.Handler != "panics" || domain.IsPermanent(err) {
		t.Errorf("Deliver = %v, want the recovered panic, not permanent", err)
	}
	if got := strings.Join(order, ","); got != "first,panics,last" {
		t.Errorf("handlers ran %s, want first,panics,last", got)
	}
	if len(hooks) != 3 || hooks[0].err != nil || hooks[1].err == nil || hooks[2].err != nil {
		t.Errorf("handled hook saw %+v", hooks)
	}
	for _, want := range []string{
		`"msg":"event"`, `"event":"review_logged"`, `"event_id":"` + e.EventID().String() + `"`,
		`"movie_id":"` + e.Movie.String() + `"`, `"review_id":"` + e.ReviewID.String() + `"`,
		`"msg":"event handler failed"`, `"handler":"panics"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if err := outbox.LocalSink(nil, outbox.WithLogger(discard())).Deliver(context.Background(), e, 1); err != nil {
		t.Errorf("no handlers: %v", err)
	}
}

func TestLocalSinkPermanenceOfSeveralFailures(t *testing.T) {
	t.Parallel()
	e := reviewLogged(t)
	fail := func(name string, err error) delivery.Handler {
		return delivery.HandlerFunc(name, func(context.Context, domain.Event) error { return err })
	}
	notFound := fmt.Errorf("poster 404: %w", domain.ErrNotFound)
	unavailable := fmt.Errorf("host down: %w", domain.ErrUnavailable)
	for _, tc := range []struct {
		name          string
		errs          []error
		wantPermanent bool
	}{
		{"one permanent", []error{notFound}, true},
		{"one transient", []error{unavailable}, false},
		{"permanent and transient", []error{notFound, unavailable}, false},
		{"two permanent", []error{notFound, fmt.Errorf("bad: %w", domain.ErrValidation)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hs []delivery.Handler
			for i, err := range tc.errs {
				hs = append(hs, fail(fmt.Sprintf("h%d", i), err))
			}
			err := outbox.LocalSink(hs, outbox.WithLogger(discard())).Deliver(context.Background(), e, 1)
			if err == nil || domain.IsPermanent(err) != tc.wantPermanent {
				t.Errorf("Deliver = %v, permanent %v, want permanent %v", err, domain.IsPermanent(err), tc.wantPermanent)
			}
			for i := range tc.errs {
				if !strings.Contains(err.Error(), fmt.Sprintf("handler h%d", i)) {
					t.Errorf("error %q does not name h%d", err, i)
				}
			}
		})
	}
}
