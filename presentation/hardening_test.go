package presentation_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// TestRateLimitKeysIPv6ClientsByNetwork: IPv6 clients are limited by their
// /64 (RATE_LIMIT_IPV6_PREFIX): two addresses of one /64 share a bucket,
// two /64s do not; with the prefix at 128 every address has its own.
func TestRateLimitKeysIPv6ClientsByNetwork(t *testing.T) {
	t.Parallel()
	const proxy = "192.0.2.1:1234"
	t.Run("default /64", func(t *testing.T) {
		t.Parallel()
		a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "192.0.2.1"})
		a.exhaust(proxy, func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) })
		wantLimited(t, a.loginAttempt(proxy, "2001:db8:1:2:ffff:ffff:ffff:fffe"))
		wantNotLimited(t, a.loginAttempt(proxy, "2001:db8:1:3::1"))
		wantNotLimited(t, a.loginAttempt(proxy, "198.51.100.7"))
	})
	t.Run("RATE_LIMIT_IPV6_PREFIX=48", func(t *testing.T) {
		t.Parallel()
		a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "192.0.2.1", "RATE_LIMIT_IPV6_PREFIX": "48"})
		a.exhaust(proxy, func(i int) string { return fmt.Sprintf("2001:db8:1:%x::1", i) })
		wantLimited(t, a.loginAttempt(proxy, "2001:db8:1:ffff::1"))
		wantNotLimited(t, a.loginAttempt(proxy, "2001:db8:2::1"))
	})
	t.Run("RATE_LIMIT_IPV6_PREFIX=128", func(t *testing.T) {
		t.Parallel()
		a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "192.0.2.1", "RATE_LIMIT_IPV6_PREFIX": "128"})
		a.exhaust(proxy, func(int) string { return "2001:db8:1:2::1" })
		wantLimited(t, a.loginAttempt(proxy, "2001:db8:1:2::1"))
		wantNotLimited(t, a.loginAttempt(proxy, "2001:db8:1:2::2"))
	})
	t.Run("the sign-up budget is keyed the same way", func(t *testing.T) {
		t.Parallel()
		a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "192.0.2.1", "ALLOW_REGISTRATION": "false"})
		signUp := func(xff string) *http.Response {
			return a.do(request{method: http.MethodPost, path: "/api/auth/register", remoteAddr: proxy, header: http.Header{"X-Forwarded-For": {xff}}})
		}
		for i := range 10 {
			wantNotLimited(t, signUp(fmt.Sprintf("2001:db8:1:2::%x", i+1)))
		}
		wantLimited(t, signUp("2001:db8:1:2::ffff"))
		wantNotLimited(t, signUp("2001:db8:1:3::1"))
	})
}

// TestNewHandlerRefusesABadIPv6Prefix: the prefix length is 1 to 128, or
// zero for the default.
func TestNewHandlerRefusesABadIPv6Prefix(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("http://diary.example")
	for _, bits := range []int{-1, 129} {
		_, err := presentation.NewHandler(presentation.Config{BaseURL: base, RateLimitIPv6Prefix: bits}, presentation.Services{}, presentation.NewMetrics(), nil, nil)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(f domain.FieldError) bool { return f.Field == "rate_limit_ipv6_prefix" }) {
			t.Errorf("prefix %d: err = %v, want a validation error naming rate_limit_ipv6_prefix", bits, err)
		}
	}
}
