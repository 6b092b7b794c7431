package memory_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// An adapter proves it implements a port by running the port's contract
// suite from package domain/porttest in its own tests, with a factory that
// returns a fresh, empty instance for every subtest:
//
//	func TestUserRepository(t *testing.T) {
//		porttest.TestUserRepository(t, func(*testing.T) domain.UserRepository {
//			return memory.NewUserRepository()
//		})
//	}
//
// An Example gets no *testing.T, so this one runs that same test through
// testing.RunTests (see runTest) and prints the result: the suite really
// runs, every time the examples do. A failing subtest prints its report, so
// the example's output no longer matches.
func Example_contractSuite() {
	passed := runTest("TestUserRepository", func(t *testing.T) {
		porttest.TestUserRepository(t, func(*testing.T) domain.UserRepository {
			return memory.NewUserRepository()
		})
	})
	fmt.Println("memory.UserRepository passes porttest.TestUserRepository:", passed)
	// Output: memory.UserRepository passes porttest.TestUserRepository: true
}

// runTest runs test as go test would and reports whether it passed. The
// flags that filter and narrate tests (-test.run, -test.skip, -test.v) are
// cleared while it runs, so the suite runs whole and prints nothing but
// failures whatever flags the example was started with; they are restored
// afterwards.
func runTest(name string, test func(*testing.T)) bool {
	cleared := map[string]string{"test.run": "", "test.skip": "", "test.v": "false"}
	for name, value := range cleared {
		old := flag.Lookup(name).Value.String()
		_ = flag.Set(name, value)
		defer func() { _ = flag.Set(name, old) }()
	}
	matchAll := func(string, string) (bool, error) { return true, nil }
	return testing.RunTests(matchAll, []testing.InternalTest{{Name: name, F: test}})
}
