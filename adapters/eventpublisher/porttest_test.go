package eventpublisher_test

import (
	"context"
	"testing"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestChannelPublisher_PortContract(t *testing.T) {
	porttest.TestEventPublisher(t, func(t *testing.T, deliver func(domain.Event)) domain.EventPublisher {
		h := delivery.HandlerFunc("deliver", func(_ context.Context, e domain.Event) error {
			deliver(e)
			return nil
		})
		p, w := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), []delivery.Handler{h},
			eventpublisher.WithLogger(discardLogger()))
		startWorker(t, context.Background(), p, w)
		return p
	})
}
